"""Notification figures (SQLite): rule matching throughput against 100,000 rules of 10,000 users,
event → webhook latency when idle, and 10,000 queued emails draining into a real SMTP server.

Targets (issue #17): match ≥ 20,000 events/s on one core; event → webhook received p99 < 100 ms
idle; 10,000 emails drain at the sink's pace with memory flat.

Usage: python bench/notify_bench.py [--users 10000] [--rules 100000] [--events 100000] [--emails 10000]
"""
import argparse
import json
import os
import random
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from common import Instance, free_port, percentile, rss_mb

NOW_MS = lambda: int(time.time() * 1000)  # noqa: E731


def prepared(inst):
    """Migrates the database (one start of the server) and returns a connection to it."""
    proc, url, _ = inst.serve()
    inst.admin_token(url)
    inst.stop(proc)
    db = sqlite3.connect(os.path.join(inst.data, "cadenza.sqlite"), timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    return db


def seed_users_and_rules(db, users, rules):
    """`users` accounts, each with an inbox and rules/users rules: one about themselves, the rest
    following random stations among 100 per user (so an event about one station concerns ~1 rule)."""
    now = NOW_MS()
    first = db.execute("SELECT COALESCE(MAX(id), 0) FROM users").fetchone()[0] + 1
    ids = list(range(first, first + users))
    db.executemany("INSERT INTO users (id, username, username_key, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, 'x', 'user', ?, ?)",
                   [(i, f"u{i}", f"u{i}", now, now) for i in ids])
    db.executemany("INSERT INTO notification_destinations (user_id, kind, name, address, confirmed_at, digest_minutes, digest_count, "
                   "rate_per_hour, failures, created_at) VALUES (?, 'inbox', 'In the app', '', ?, 0, 0, 0, 0, ?)",
                   [(i, now, now) for i in ids])
    inbox = dict(db.execute("SELECT user_id, id FROM notification_destinations WHERE kind = 'inbox'").fetchall())
    per_user = max(1, rules // users)
    stations = users * 100
    rng = random.Random(7)
    rows = []
    for i in ids:
        rows.append((i, "About me", "mentions", "[]", "", now))
        for _ in range(per_user - 1):
            rows.append((i, "Station", "followed", json.dumps([f"station:s{rng.randrange(stations)}"]), "station.*", now))
    db.executemany("INSERT INTO notification_rules (user_id, name, tracking, targets, types, min_severity, include_own, one_shot, enabled, "
                   "time_zone, fired_count, created_at) VALUES (?, ?, ?, ?, ?, 'info', 0, 0, 1, 'UTC', 0, ?)", rows)
    db.execute("INSERT INTO notification_rule_destinations (rule_id, destination_id) "
               "SELECT r.id, d.id FROM notification_rules r JOIN notification_destinations d ON d.user_id = r.user_id AND d.kind = 'inbox'")
    db.commit()
    return ids, stations, inbox


def insert_events(db, events):
    db.executemany("INSERT INTO events (type, actor_id, subject_type, subject_id, payload, visibility, audience_user_id, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
    db.commit()


def consume(inst, db, count):
    """Starts a worker and times the notifications consumer through the last `count` events."""
    last = db.execute("SELECT MAX(id) FROM events").fetchone()[0]
    first = last - count
    db.execute("INSERT INTO event_consumers (name, position, updated_at) VALUES ('notifications', ?, 0) "
               "ON CONFLICT (name) DO UPDATE SET position = excluded.position", (first,))
    db.commit()
    proc = inst.worker()
    started = time.perf_counter()
    moved = None
    peak = 0.0
    while True:
        position = db.execute("SELECT position FROM event_consumers WHERE name = 'notifications'").fetchone()[0]
        peak = max(peak, rss_mb(proc.pid))
        if moved is None and position > first:
            moved = (time.perf_counter(), position)
        if position >= last:
            break
        if time.perf_counter() - started > 600:
            raise RuntimeError("the consumer did not finish in 10 minutes")
        time.sleep(0.02)
    ended = time.perf_counter()
    inst.stop(proc)
    moved_at, moved_to = moved or (ended, last)
    rate = (last - moved_to) / max(1e-6, ended - moved_at)
    return moved_at - started, rate, peak


def matching(users, rules, events):
    inst = Instance()
    try:
        db = prepared(inst)
        t0 = time.perf_counter()
        ids, stations, _ = seed_users_and_rules(db, users, rules)
        print(f"seeded {users:,} users and {rules:,} rules in {time.perf_counter() - t0:.1f} s")
        rng = random.Random(11)
        now = NOW_MS()
        # Events about things: uploads into libraries nobody watches, mentioning people without
        # a rule for them, and station news — one in a hundred about a station someone follows.
        batch = []
        for n in range(events):
            if n % 100 == 0:
                s = f"s{rng.randrange(stations)}"
                batch.append(("station.created", None, "station", s, json.dumps({"slug": s, "name": s}), "instance", None, now))
            else:
                lib = rng.randrange(1_000_000)
                batch.append(("upload.imported", None, "file", str(n),
                              json.dumps({"fileId": str(n), "name": "a.flac", "libraryId": str(lib), "trackId": None, "error": None}),
                              "user", 10_000_000 + n, now))
        insert_events(db, batch)
        load, rate, peak = consume(inst, db, events)
        inbox = db.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
        print(f"match: {events:,} events against {rules:,} rules: {rate:,.0f} events/s after the index loaded in {load:.1f} s "
              f"({inbox:,} inbox rows written; worker peak RSS {peak:.0f} MB); target ≥ 20,000/s: ratio {rate / 20000:.2f}")
    finally:
        inst.close()


class Receiver:
    def __init__(self):
        self.times = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.times.append(time.perf_counter())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


def webhook_latency(samples):
    inst = Instance()
    receiver = Receiver()
    try:
        proc, url, _ = inst.serve(CADENZA_WEBHOOK_PRIVATE_ADDRESSES="1")
        token = inst.admin_token(url)
        auth = {"Authorization": f"Bearer {token}"}
        for name in ("ann", "bob"):
            assert requests.post(url + "/api/v1/users", headers=auth, json={"username": name, "password": "password-123"}).status_code == 201
        tokens = {}
        for name in ("ann", "bob"):
            s = requests.Session()
            r = s.post(url + "/api/v1/auth/login", json={"username": name, "password": "password-123"})
            tokens[name] = s.post(url + "/api/v1/tokens", json={"name": "b"}, headers={"X-CSRF-Token": r.json()["csrfToken"]}).json()["token"]
        ann = {"Authorization": f"Bearer {tokens['ann']}"}
        bob = {"Authorization": f"Bearer {tokens['bob']}"}
        hook = requests.post(url + "/api/v1/notification-destinations", headers=ann, json={"kind": "webhook", "address": receiver.url}).json()["id"]
        while len(receiver.times) < 1:
            time.sleep(0.05)
        time.sleep(0.5)
        requests.post(url + "/api/v1/notification-rules", headers=ann,
                      json={"tracking": "mentions", "types": ["user.followed"], "destinationIds": [hook]})
        requests.patch(url + f"/api/v1/notification-destinations/{hook}", headers=ann, json={"ratePerHour": 3600})
        time.sleep(1)
        latencies = []
        for _ in range(samples):
            before = len(receiver.times)
            t0 = time.perf_counter()
            requests.put(url + "/api/v1/follows/ann", headers=bob)
            while len(receiver.times) == before and time.perf_counter() - t0 < 10:
                time.sleep(0.0005)
            if len(receiver.times) > before:
                latencies.append((receiver.times[before] - t0) * 1000)
            requests.delete(url + "/api/v1/follows/ann", headers=bob)
            time.sleep(0.15)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        print(f"webhook: follow → webhook received, {len(latencies)} of {samples} idle: p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
              f"target p99 < 100 ms: ratio {p99 / 100:.2f}")
    finally:
        receiver.server.shutdown()
        inst.close()


def email_drain(count):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.n = 0

        async def handle_DATA(self, server, session, envelope):
            self.n += 1
            return "250 OK"

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    inst = Instance()
    try:
        db = prepared(inst)
        ids, _, _ = seed_users_and_rules(db, 1, 1)
        now = NOW_MS()
        db.execute("INSERT INTO notification_destinations (user_id, kind, name, address, confirmed_at, digest_minutes, digest_count, "
                   "rate_per_hour, failures, created_at) VALUES (?, 'email', 'mail', 'ann@example.org', ?, 0, 0, 3600, 0, ?)", (ids[0], now, now))
        dest = db.execute("SELECT MAX(id) FROM notification_destinations").fetchone()[0]
        db.executemany("INSERT INTO notification_deliveries (destination_id, user_id, event_id, type, severity, title, body, link, rule_ids, "
                       "status, attempts, created_at) VALUES (?, ?, ?, 'user.followed', 'info', ?, '', '/#/history', '1', 'queued', 0, ?)",
                       [(dest, ids[0], n, f"Notification {n}", now) for n in range(1, count + 1)])
        db.execute("UPDATE notification_deliveries SET batch_id = id")
        db.executemany("INSERT INTO jobs (kind, payload, priority, run_at, attempts, max_attempts, state, created_at, updated_at) "
                       "VALUES ('notifications.deliver', ?, 5, ?, 0, 10, 'queued', ?, ?)",
                       [(json.dumps({"batchId": b}), now, now, now) for (b,) in db.execute("SELECT id FROM notification_deliveries").fetchall()])
        db.commit()
        proc, url, _ = inst.serve(CADENZA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}", CADENZA_MAIL_FROM="bench@example.org")
        t0 = time.perf_counter()
        rss = []
        while sink.n < count and time.perf_counter() - t0 < 900:
            rss.append(rss_mb(proc.pid))
            time.sleep(0.5)
        elapsed = time.perf_counter() - t0
        quarter = max(1, len(rss) // 4)
        print(f"email: {sink.n:,} of {count:,} queued emails delivered in {elapsed:.1f} s ({sink.n / elapsed:,.0f}/s, one SMTP "
              f"conversation each); server RSS first quarter {sum(rss[:quarter]) / quarter:.0f} MB, last quarter "
              f"{sum(rss[-quarter:]) / quarter:.0f} MB, peak {max(rss):.0f} MB")
    finally:
        smtp.stop()
        inst.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--pg", help="accepted for bench/run.sh; these figures are taken on SQLite")
    args = parser.parse_args()
    matching(args.users, args.rules, args.events)
    webhook_latency(args.samples)
    email_drain(args.emails)


if __name__ == "__main__":
    main()
