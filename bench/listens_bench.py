"""Listen figures: import rate (ListenBrainz `import` batches of 1000), single submits over 8
connections (wrk), stats latency for every stats endpoint x range over one user with 1,000,000
listens, and bytes stored per listen.

Usage: python bench/listens_bench.py [--listens 1000000] [--import-listens 20000] [--seconds 10]
                                     [--samples 15] [--pg postgres://…/postgres] [--db sqlite|postgres|both]

Like the other benchmarks it runs on SQLite, and also on PostgreSQL when --pg names a server
(--db narrows that down). Targets are printed beside the figures, never asserted: import
>= 20,000 listens/s on SQLite, single submits >= 1,000 req/s, stats p50 < 50 ms. The Maloja
figures for comparison are from ../shared/reference/listens.md (same kind of 2-core machine).
"""
import argparse
import bisect
import itertools
import json
import os
import queue
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time

import requests

from common import Instance, percentile, rss_mb

OPEN = {"CADENZA_LISTENS_RATE_LIMIT": 100000000, "CADENZA_LISTENS_RATE_WINDOW": 60, "CADENZA_RESCAN_MINUTES": 0}
BATCH = 1000
THREE_YEARS = 3 * 365 * 86400
RANGES = ["this_week", "this_month", "this_year", "week", "month", "quarter", "year", "half_yearly", "all_time"]
STATS = ["artists", "releases", "release-groups", "recordings", "listening-activity", "daily-activity"]
MALOJA = {"single": 44.8, "import": 49.5}   # listens/s, reference §4


class Catalog:
    """1,000 artists with Zipf (1/rank) popularity, 12 tracks each over 1-3 albums; Zipf within an artist too."""

    def __init__(self, artists=1000, tracks=12, seed=7):
        rng = random.Random(seed)
        self.artists = []
        for a in range(artists):
            albums = [f"Album {a:04d}-{b}" for b in range(rng.randint(1, 3))]
            songs = []
            for t in range(tracks):
                meta = {"artist_name": f"Artist {a:04d}", "track_name": f"Track {a:04d}-{t:02d}",
                        "release_name": albums[t % len(albums)],
                        "additional_info": {"duration_ms": rng.randint(120, 420) * 1000, "tracknumber": t + 1,
                                            "submission_client": "cadenza-bench"}}
                songs.append(json.dumps(meta, separators=(",", ":")))
            self.artists.append(songs)
        self.artist_cum = list(itertools.accumulate(1 / (i + 1) for i in range(artists)))
        self.track_cum = list(itertools.accumulate(1 / (i + 1) for i in range(tracks)))

    def pick(self, rng):
        a = bisect.bisect(self.artist_cum, rng.random() * self.artist_cum[-1])
        t = bisect.bisect(self.track_cum, rng.random() * self.track_cum[-1])
        return self.artists[min(a, len(self.artists) - 1)][min(t, len(self.track_cum) - 1)]


def bodies(catalog, total, seed, end):
    """Yields import bodies of BATCH listens, oldest first, with unique timestamps spread over three
    years ending an hour before `end`."""
    rng = random.Random(seed)
    step = max(1, THREE_YEARS // max(total, 1))
    start = end - 3600 - step * total
    for first in range(0, total, BATCH):
        parts = [f'{{"listened_at":{start + i * step + rng.randrange(step)},"track_metadata":{catalog.pick(rng)}}}'
                 for i in range(first, min(first + BATCH, total))]
        yield ('{"listen_type":"import","payload":[' + ",".join(parts) + "]}").encode()


def prefetched(generator, depth=8):
    """Runs a body generator on a thread so building JSON overlaps with the server's work."""
    q = queue.Queue(maxsize=depth)

    def fill():
        try:
            for item in generator:
                q.put(item)
        finally:
            q.put(None)   # also when the generator fails: the reader must not wait forever

    threading.Thread(target=fill, daemon=True).start()
    while (item := q.get()) is not None:
        yield item


def new_user(url, admin, name):
    r = requests.post(url + "/api/v1/users", json={"username": name, "password": "bench-password"},
                      headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 201, r.text
    s = requests.Session()
    r = s.post(url + "/api/v1/auth/login", json={"username": name, "password": "bench-password"})
    r = s.post(url + "/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": r.json()["csrfToken"]})
    return r.json()["token"]


def post_all(url, token, batches):
    """Posts bodies one after another on a keep-alive connection; returns (listens, seconds, per-request ms)."""
    session = requests.Session()
    headers = {"Authorization": f"Token {token}"}
    latencies, sent = [], 0
    started = time.perf_counter()
    for body in batches:
        t0 = time.perf_counter()
        r = session.post(url + "/1/submit-listens", data=body, headers=headers)
        latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"submit-listens answered {r.status_code}: {r.text[:300]}")
        sent += body.count(b'"listened_at"')
    return sent, time.perf_counter() - started, latencies


def rolled_up(url, token, user):
    """Listens the stats count (all-time listening activity): large batches are added up by a job."""
    r = requests.get(f"{url}/1/stats/user/{user}/listening-activity?range=all_time", headers={"Authorization": f"Token {token}"})
    if r.status_code != 200:
        return 0
    return sum(item["listen_count"] for item in r.json()["payload"]["listening_activity"])


def listen_count(url, token, user):
    r = requests.get(f"{url}/1/user/{user}/listen-count", headers={"Authorization": f"Token {token}"})
    return r.json()["payload"]["count"]


WRK_SCRIPT = """
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Token %(token)s"
end
function request()
  counter = counter + 1
  local ts = %(base)d + counter * %(threads)d + tid
  local body = string.format('{"listen_type":"single","payload":[{"listened_at":%%d,"track_metadata":{"artist_name":"Artist %%d","track_name":"Song %%d","release_name":"Album %%d","additional_info":{"duration_ms":200000}}}]}',
    ts, counter %% 97, counter %% 1009, counter %% 211)
  return wrk.format(nil, nil, nil, body)
end
"""


def singles_with_wrk(url, token, seconds, threads=2, connections=8):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % {"token": token, "base": int(time.time()) - 30 * 86400, "threads": threads})
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
                              "-s", f.name, url + "/1/submit-listens"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p99_ms, total, int(non2xx.group(1)) if non2xx else 0


def singles_with_threads(url, token, seconds, connections=8):
    """Fallback without wrk: 8 threads, each with its own keep-alive session."""
    stop = time.perf_counter() + seconds
    base = int(time.time()) - 30 * 86400
    results = [[] for _ in range(connections)]
    errors = [0] * connections

    def run(n):
        session = requests.Session()
        headers = {"Authorization": f"Token {token}"}
        i = 0
        while time.perf_counter() < stop:
            i += 1
            body = json.dumps({"listen_type": "single", "payload": [{"listened_at": base + i * connections + n, "track_metadata": {
                "artist_name": f"Artist {i % 97}", "track_name": f"Song {i % 1009}", "release_name": f"Album {i % 211}"}}]})
            t0 = time.perf_counter()
            r = session.post(url + "/1/submit-listens", data=body, headers=headers)
            results[n].append((time.perf_counter() - t0) * 1000)
            errors[n] += r.status_code != 200

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    latencies = [x for r in results for x in r]
    return len(latencies) / (time.perf_counter() - started), percentile(latencies, 99), len(latencies), sum(errors)


def sqlite_bytes(path):
    """Checkpoints the WAL (the server may be running; a busy checkpoint just leaves more in the WAL)
    and returns (main file, WAL) sizes."""
    subprocess.run(["sqlite3", "-cmd", ".timeout 10000", path, "PRAGMA wal_checkpoint(TRUNCATE);"], capture_output=True)
    size = lambda p: os.path.getsize(p) if os.path.exists(p) else 0
    return size(path), size(path + "-wal")


def sqlite_tables(path):
    """Bytes per table (its indexes included) from dbstat; {} when the sqlite3 shell lacks dbstat."""
    r = subprocess.run(["sqlite3", "-separator", "\t", path,
                        "SELECT m.tbl_name, m.type, m.name, SUM(s.pgsize) FROM dbstat s JOIN sqlite_master m ON m.name = s.name "
                        "GROUP BY m.name ORDER BY 1, 2 DESC, 4 DESC;"], capture_output=True, text=True)
    tables = {}
    for line in r.stdout.splitlines():
        table, kind, name, size = line.split("\t")
        tables.setdefault(table, []).append((kind, name, int(size)))
    return tables


def pg_query(db_url, sql):
    return subprocess.run(["psql", db_url, "-At", "-F", "\t", "-c", sql], capture_output=True, text=True, check=True).stdout


def pg_bytes(db_url):
    return int(pg_query(db_url, "SELECT pg_database_size(current_database())").strip())


def pg_tables(db_url):
    out = pg_query(db_url, "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c "
                           "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public' "
                           "ORDER BY pg_total_relation_size(c.oid) DESC")
    return [(name, int(t), int(i)) for name, t, i in (line.split("\t") for line in out.splitlines() if line)]


def timed_get(session, url, headers, samples):
    session.get(url, headers=headers)     # warm-up: page cache, prepared statements
    times, size, status = [], 0, 0
    for _ in range(samples):
        t0 = time.perf_counter()
        r = session.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        size, status = len(r.content), r.status_code
    return percentile(times, 50), percentile(times, 99), size, status


def run(name, pg, args, catalog):
    inst = Instance(pg)
    try:
        proc, url, _ = inst.serve(**OPEN)
        admin = inst.admin_token(url)
        print(f"== Listens benchmark, {name} (server and client share the 2 cores)")

        # (a) import: batches of 1000 on one keep-alive connection, bodies built beforehand
        importer = new_user(url, admin, "importer")
        batches = list(bodies(catalog, args.import_listens, seed=1, end=int(time.time())))
        started = time.perf_counter()
        sent, seconds, lat = post_all(url, importer, batches)
        rate = sent / seconds
        stored = listen_count(url, importer, "importer")
        while rolled_up(url, importer, "importer") < stored and time.perf_counter() - started < seconds + 600:
            time.sleep(0.05)
        complete = time.perf_counter() - started
        print(f"  (a) import, {sent} listens in batches of {BATCH}: {rate:9.0f} listens/s "
              f"(target 20,000: x{rate / 20000:.2f}; Maloja {MALOJA['import']}/s: x{rate / MALOJA['import']:.0f}); "
              f"request p50 {percentile(lat, 50):.0f} ms, p99 {percentile(lat, 99):.0f} ms; stored {stored}")
        print(f"      stats complete {complete - seconds:.1f} s after the last batch: {stored / complete:9.0f} listens/s "
              f"from first batch to counted in the stats")

        # (b) single submits, 8 connections
        singles = new_user(url, admin, "singles")
        if shutil.which("wrk"):
            rate, p99, total, errors = singles_with_wrk(url, singles, args.seconds)
            tool = "wrk -t2 -c8"
        else:
            rate, p99, total, errors = singles_with_threads(url, singles, args.seconds)
            tool = "8 Python threads"
        stored = listen_count(url, singles, "singles")
        print(f"  (b) single submits, {tool}, {args.seconds}s: {rate:9.0f} req/s (target 1,000: x{rate / 1000:.2f}; "
              f"Maloja {MALOJA['single']}/s: x{rate / MALOJA['single']:.0f}); p99 {p99:.1f} ms; "
              f"{total} requests, {errors} non-2xx, {stored} stored")

        # (c) one user with --listens listens, then every stats endpoint x range
        heavy = new_user(url, admin, "heavy")
        before = pg_bytes(pg_db(inst)) if pg else sqlite_bytes(sqlite_path(inst))
        loaded, started, next_report = 0, time.perf_counter(), 100000
        session = requests.Session()
        headers = {"Authorization": f"Token {heavy}"}
        for body in prefetched(bodies(catalog, args.listens, seed=2, end=int(time.time()))):
            r = session.post(url + "/1/submit-listens", data=body, headers=headers)
            if r.status_code != 200:
                raise RuntimeError(f"submit-listens answered {r.status_code}: {r.text[:300]}")
            loaded += body.count(b'"listened_at"')
            if loaded >= next_report:
                print(f"      loaded {loaded:>9,} listens, {loaded / (time.perf_counter() - started):8.0f} listens/s", flush=True)
                next_report += 100000
        load_s = time.perf_counter() - started
        stored = listen_count(url, heavy, "heavy")
        print(f"  (c) loaded {loaded:,} listens for one user in {load_s:.0f} s ({loaded / load_s:.0f} listens/s incl. "
              f"client JSON); listen-count {stored:,}; server RSS {rss_mb(proc.pid):.0f} MB")

        worst = 0.0
        print(f"      {'endpoint':22s} {'range':12s} {'p50 ms':>8s} {'p99 ms':>8s} {'bytes':>9s}")
        for entity in STATS:
            for rng in RANGES:
                p50, p99, size, status = timed_get(session, f"{url}/1/stats/user/heavy/{entity}?range={rng}", headers, args.samples)
                worst = max(worst, p50)
                flag = "" if status == 200 else f"  (HTTP {status})"
                print(f"      {entity:22s} {rng:12s} {p50:8.1f} {p99:8.1f} {size:9d}{flag}")
        middle = int(time.time()) - THREE_YEARS // 2
        for label, path in [("listens (newest 25)", "/1/user/heavy/listens"),
                            ("listens max_ts=middle, 100", f"/1/user/heavy/listens?max_ts={middle}&count=100"),
                            ("listen-count", "/1/user/heavy/listen-count"),
                            ("artists count=100 offset=500", "/1/stats/user/heavy/artists?count=100&offset=500"),
                            ("recordings count=1000", "/1/stats/user/heavy/recordings?count=1000")]:
            p50, p99, size, status = timed_get(session, url + path, headers, args.samples)
            print(f"      {label:35s} {p50:8.1f} {p99:8.1f} {size:9d}" + ("" if status == 200 else f"  (HTTP {status})"))
        print(f"      slowest stats p50: {worst:.1f} ms (target < 50 ms: {'met' if worst < 50 else 'missed'}); "
              f"server RSS {rss_mb(proc.pid):.0f} MB")

        # (d) storage per listen
        total_listens = sum(listen_count(url, t, u) for t, u in [(importer, "importer"), (singles, "singles"), (heavy, "heavy")])
        if pg:
            after = pg_bytes(pg_db(inst))
            print(f"  (d) storage: database grew {(after - before) / 1e6:.1f} MB for {loaded:,} listens = "
                  f"{(after - before) / max(loaded, 1):.0f} bytes/listen")
            for table, heap, index in pg_tables(pg_db(inst))[:8]:
                if heap + index > 1e6:
                    print(f"      {table:28s} heap {heap / 1e6:8.1f} MB + indexes {index / 1e6:8.1f} MB"
                          + (f" = {(heap + index) / total_listens:.0f} bytes/listen over all {total_listens:,} listens"
                             if "listen" in table else ""))
        else:
            path = sqlite_path(inst)
            after = sqlite_bytes(path)
            grown = sum(after) - sum(before)
            print(f"  (d) storage: file + WAL grew {grown / 1e6:.1f} MB for {loaded:,} listens = {grown / max(loaded, 1):.0f} bytes/listen "
                  f"(file {after[0] / 1e6:.1f} MB, WAL {after[1] / 1e6:.1f} MB after checkpoint)")
            inst.stop(proc)       # a clean close checkpoints fully; dbstat then reads a quiet file
            tables = sqlite_tables(path)
            if not tables:
                print("      (no dbstat in this sqlite3 shell: no per-table figures)")
            for table, objects in sorted(tables.items(), key=lambda kv: -sum(o[2] for o in kv[1])):
                size = sum(o[2] for o in objects)
                if size < 1e6:
                    continue
                parts = ", ".join(f"{n} {s / 1e6:.1f} MB" for _, n, s in objects)
                per = f" = {size / total_listens:.0f} bytes/listen over all {total_listens:,} listens" if "listen" in table else ""
                print(f"      {table:28s} {size / 1e6:8.1f} MB{per} ({parts})")
    finally:
        inst.close()


def sqlite_path(inst):
    return os.path.join(inst.data, "cadenza.sqlite")


def pg_db(inst):
    return inst.db_url


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listens", type=int, default=1000000, help="listens loaded for the stats user (c)")
    parser.add_argument("--import-listens", type=int, default=20000, help="listens in the import measurement (a)")
    parser.add_argument("--seconds", type=int, default=10, help="length of the single-submit run (b)")
    parser.add_argument("--samples", type=int, default=15, help="timed requests per stats endpoint and range")
    parser.add_argument("--pg", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both",
                        help="both = SQLite, plus PostgreSQL when --pg is given")
    args = parser.parse_args()
    if args.db == "postgres" and not args.pg:
        parser.error("--db postgres needs --pg")
    catalog = Catalog()
    databases = ([("SQLite", None)] if args.db in ("sqlite", "both") else []) + \
                ([("PostgreSQL", args.pg)] if args.pg and args.db in ("postgres", "both") else [])
    for name, pg in databases:
        run(name, pg, args, catalog)


if __name__ == "__main__":
    main()
