"""What one request costs, on PostgreSQL: CPU on the api node, CPU on the worker, CPU in
PostgreSQL, and statements and rows per request (pg_stat_statements when the server loads it).
From those, how many requests one api core and one PostgreSQL core carry, and so how many api
nodes one PostgreSQL server feeds and where the first bottleneck is. One 2-core machine cannot
show a cluster scaling; per-request costs measured on it can be multiplied out honestly.

Usage: python bench/capacity.py --pg postgres://…/postgres [--size 20000] [--requests 2000] [--only submit,scrobble]

CPU is read from /proc (user + system time of the api process, of the worker, and of every
process of the PostgreSQL cluster), before and after each kind of request; the client runs 8
threads. Statement counts need PostgreSQL started with `-c
shared_preload_libraries=pg_stat_statements` (the script creates the extension); without it the
statement columns say n/a.
"""
import argparse
import hashlib
import os
import random
import subprocess
import threading
import time

import requests

from common import Instance
from library_bench import library

PASSWORD = "bench-capacity"
OPEN = {"CADENZA_LISTENS_RATE_LIMIT": 100000000, "CADENZA_LISTENS_RATE_WINDOW": 60, "CADENZA_RESCAN_MINUTES": 0,
        "CADENZA_SUBSONIC_RATE_LIMIT": 100000000}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(ppid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1]) == ppid:
                    found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


class Postgres:
    """The cluster's processes (the postmaster and its children) and its statement counters."""

    def __init__(self, db_url):
        self.url = db_url
        # The postmaster's pid is the first line of postmaster.pid in the data directory (a local
        # server: this measures the machine it runs on).
        self.postmaster = int(open(os.path.join(self.sql("SHOW data_directory"), "postmaster.pid")).readline())
        self.statements = self.sql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") == "1"
        if not self.statements and "pg_stat_statements" in self.sql("SHOW shared_preload_libraries"):
            self.sql("CREATE EXTENSION pg_stat_statements")
            self.statements = True

    def sql(self, query):
        return subprocess.run(["psql", self.url, "-Atqc", query], capture_output=True, text=True, check=True).stdout.strip()

    def cpu(self):
        return sum(cpu_seconds(pid) for pid in [self.postmaster, *children(self.postmaster)])

    def counters(self):
        """(statements, rows) run in this database so far (BEGIN/COMMIT included: each is a round trip)."""
        if not self.statements:
            return None
        line = self.sql("SELECT coalesce(sum(calls), 0) || ' ' || coalesce(sum(rows), 0) FROM pg_stat_statements s "
                        "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()")
        calls, rows = line.split()
        return int(calls), int(rows)


def run_threads(count, threads, work):
    """Calls work(i) for i in range(count) over `threads` threads; returns the wall time."""
    next_index = iter(range(count))
    lock = threading.Lock()
    failures = []

    def loop():
        session = requests.Session()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            r = work(session, i)
            if r.status_code >= 300 or (b'"status":"failed"' in r.content[:200]):
                failures.append((r.status_code, r.text[:200]))

    started = time.perf_counter()
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return time.perf_counter() - started


ONLY = None


def measure(name, units, count, work, api, worker, pg, settle=1.0):
    """Runs `count` requests; `units` of the named kind per request (listens per import batch)."""
    if ONLY and not any(word.lower() in name.lower() for word in ONLY):
        return None
    before = (cpu_seconds(api), cpu_seconds(worker), pg.cpu(), pg.counters())
    wall = run_threads(count, 8, work)
    time.sleep(settle)   # what the request queued (events, jobs) is worked and counted too
    after = (cpu_seconds(api), cpu_seconds(worker), pg.cpu(), pg.counters())
    n = count * units
    row = {"name": name, "n": n, "rate": n / wall,
           "api_ms": (after[0] - before[0]) * 1000 / n, "worker_ms": (after[1] - before[1]) * 1000 / n,
           "pg_ms": (after[2] - before[2]) * 1000 / n}
    if before[3] and after[3]:
        row["statements"] = (after[3][0] - before[3][0]) / count
        row["rows"] = (after[3][1] - before[3][1]) / count
    stm = f"{row['statements']:6.1f} {row['rows']:8.1f}" if "statements" in row else "   n/a      n/a"
    print(f"  {name:34s} {row['rate']:8.0f}/s  api {row['api_ms']:6.2f} ms  worker {row['worker_ms']:5.2f} ms  "
          f"PostgreSQL {row['pg_ms']:6.2f} ms   statements/request {stm}", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--size", type=int, default=20000, help="tracks in the generated library")
    parser.add_argument("--cache", default="/tmp/cadenza-bench-libs")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--only", help="comma-separated words; only the rows whose name contains one (e.g. submit,scrobble)")
    args = parser.parse_args()
    global ONLY
    ONLY = [word.strip() for word in (args.only or "").split(",") if word.strip()] or None
    root = library(args.cache, args.size)
    inst = Instance(args.pg)
    try:
        inst.run("scan", "--now", "--music-dir", root)
        proc, url, _ = inst.serve(roles="api", CADENZA_MUSIC_DIRS=root, **OPEN)
        worker = inst.worker(CADENZA_MUSIC_DIRS=root, **OPEN)
        admin = inst.admin_token(url)
        auth = {"Authorization": f"Bearer {admin}"}
        users = []
        for i in range(8):
            name = f"listener{i}"
            r = requests.post(url + "/api/v1/users", json={"username": name, "password": PASSWORD}, headers=auth)
            assert r.status_code == 201, r.text
            s = requests.Session()
            r = s.post(url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD})
            token = s.post(url + "/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": r.json()["csrfToken"]}).json()["token"]
            # A Subsonic password of its own (token auth needs one the server can read back).
            r = requests.put(url + "/api/v1/me/subsonic-password", json={"password": PASSWORD, "currentPassword": PASSWORD},
                             headers={"Authorization": f"Bearer {token}"})
            r.raise_for_status()
            users.append((name, token))
        songs = [f"tr-{t['id']}" for t in requests.get(url + "/api/v1/tracks?limit=500", headers=auth).json()["items"]]
        pg = Postgres(inst.db_url)
        api, wpid = proc.pid, worker.pid
        n = args.requests
        now = int(time.time())
        print(f"== Capacity: one api node and one worker on PostgreSQL, {args.size} tracks, 8 client threads; "
              f"CPU per request (what one core spends)", flush=True)

        def subsonic(session, i, method, **params):
            name = users[i % 8][0]
            salt = f"{i:08x}"
            token = hashlib.md5((PASSWORD + salt).encode()).hexdigest()
            return session.get(f"{url}/rest/{method}", params={"u": name, "t": token, "s": salt, "v": "1.16.1", "c": "bench",
                                                               "f": "json", **params})

        rows = []
        rows.append(measure("ListenBrainz single submit", 1, n, lambda s, i: s.post(
            url + "/1/submit-listens", headers={"Authorization": f"Token {users[i % 8][1]}"},
            json={"listen_type": "single", "payload": [{"listened_at": now - 86400 + i, "track_metadata": {
                "artist_name": f"Artist {i % 300}", "track_name": f"Song {i % 3000}", "release_name": f"Album {i % 600}"}}]}),
            api, wpid, pg))
        batch = 1000

        def import_batch(s, i):
            base = now - 400 * 86400 - i * batch * 10
            payload = [{"listened_at": base + j * 10, "track_metadata": {
                "artist_name": f"Artist {(i * batch + j) % 300}", "track_name": f"Song {(i * batch + j) % 3000}",
                "release_name": f"Album {(i * batch + j) % 600}"}} for j in range(batch)]
            return s.post(url + "/1/submit-listens", headers={"Authorization": f"Token {users[i % 8][1]}"},
                          json={"listen_type": "import", "payload": payload})
        rows.append(measure("ListenBrainz import (per listen)", batch, max(8, n // 100), import_batch, api, wpid, pg))
        rows.append(measure("Subsonic scrobble", 1, n, lambda s, i: subsonic(
            s, i, "scrobble", id=random.choice(songs), submission="true", time=str((now - 3600 * 24 * 2 + i) * 1000)), api, wpid, pg))
        rows.append(measure("Subsonic star", 1, n, lambda s, i: subsonic(s, i, "star" if i % 2 == 0 else "unstar", id=songs[(i // 2) % len(songs)]),
                            api, wpid, pg))
        rows.append(measure("Subsonic getAlbumList2 (50)", 1, n, lambda s, i: subsonic(
            s, i, "getAlbumList2", type="alphabeticalByName", size="50", offset=str(i % 100)), api, wpid, pg))
        rows.append(measure("Subsonic search3", 1, n, lambda s, i: subsonic(s, i, "search3", query=f"Song {i % 97}"), api, wpid, pg))
        rows.append(measure("Subsonic getAlbum", 1, n, lambda s, i: subsonic(s, i, "getAlbum", id=f"al-{1 + i % 100}"), api, wpid, pg))
        rows.append(measure("Subsonic stream (raw)", 1, n // 4, lambda s, i: subsonic(s, i, "stream", id=songs[i % len(songs)], format="raw"),
                            api, wpid, pg))
        rows.append(measure("REST tracks page (50)", 1, n, lambda s, i: s.get(
            url + f"/api/v1/tracks?limit=50&offset={i % 1000}", headers={"Authorization": f"Bearer {users[i % 8][1]}"}), api, wpid, pg))

        print("\n  Per core (1000 ms / CPU per request); 'nodes per PostgreSQL core' = api cores one PostgreSQL core keeps busy:")
        for row in filter(None, rows):
            api_rate = 1000 / max(row["api_ms"], 1e-3)
            pg_rate = 1000 / max(row["pg_ms"], 1e-3)
            print(f"  {row['name']:34s} api core {api_rate:8.0f}/s   PostgreSQL core {pg_rate:8.0f}/s   "
                  f"api cores per PostgreSQL core {pg_rate / api_rate:5.2f}")
    finally:
        inst.close()


if __name__ == "__main__":
    main()
