"""Subsonic figures on a generated library: wrk (8 connections) per endpoint, stream time to first
byte, idle RSS with the library loaded.

Usage: python bench/subsonic_bench.py [--size 20000] [--pg postgres://…/postgres]
"""
import argparse
import os
import re
import statistics
import subprocess
import time

import requests

from common import Instance, rss_mb
from library_bench import library

PASSWORD = "bench-subsonic"


# 96 different queries (words, prefixes, phrases, misses), so one cached result does not decide the figure.
VARIED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "varied_search.lua")
TYPOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "typo_search.lua")


def wrk(url, seconds, script=None):
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "30s", "--latency", *(["-s", script] if script else []), url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--pg")
    parser.add_argument("--pg-only", action="store_true", help="skip the SQLite run")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--cache", default="/tmp/cadenza-bench-libs")
    args = parser.parse_args()
    root = library(args.cache, args.size)
    for name, pg in ([] if args.pg_only else [("SQLite", None)]) + ([("PostgreSQL", args.pg)] if args.pg else []):
        inst = Instance(pg)
        try:
            inst.run("migrate")
            inst.run("scan", "--now", "--music-dir", root)
            proc, url, _ = inst.serve(CADENZA_RESCAN_MINUTES=0)
            token = inst.admin_token(url)
            # Setting it takes the account password (since the account-safety work): without it every
            # request below would be answered "wrong password" with HTTP 200, and wrk would count those.
            r = requests.put(url + "/api/v1/me/subsonic-password", json={"password": PASSWORD, "currentPassword": "bench-password"},
                             headers={"Authorization": f"Bearer {token}"})
            r.raise_for_status()
            q = f"u=bench&p={PASSWORD}&v=1.16.1&c=bench&f=json"
            album = requests.get(f"{url}/rest/getAlbumList2?type=alphabeticalByName&size=1&{q}").json()["subsonic-response"]["albumList2"]["album"][0]
            song = requests.get(f"{url}/rest/getAlbum?id={album['id']}&{q}").json()["subsonic-response"]["album"]["song"][0]
            time.sleep(2)
            idle = rss_mb(proc.pid)
            print(f"== Subsonic benchmark, {name}, {args.size}-track library, wrk -t2 -c8 -d{args.seconds}s (client on the same 2 cores)")
            print(f"idle RSS with the library loaded: {idle:.1f} MB")
            endpoints = [
                ("ping", f"ping?{q}"),
                ("getAlbumList2 random size=50", f"getAlbumList2?type=random&size=50&{q}"),
                ("getAlbum", f"getAlbum?id={album['id']}&{q}"),
                ("search3 query=Night", f"search3?query=Night&{q}"),
                ("getArtists", f"getArtists?{q}"),
                ("getCoverArt size=300 (cached)", f"getCoverArt?id={album.get('coverArt', album['id'])}&size=300&{q}"),
            ]
            endpoints.insert(4, ("search3, 96 varied queries", f"search3?query=Night&{q}", VARIED))
            endpoints.insert(5, ("search3, 96 misspelled queries", f"search3?query=Nigth&{q}", TYPOS))
            for label, path, *script in endpoints:
                requests.get(f"{url}/rest/{path}")   # warm caches (resized cover, page cache)
                rate, p99, errors = wrk(f"{url}/rest/{path}", args.seconds, *script)
                print(f"  {label:32s} {rate:8.0f} req/s   p99 {p99:7.1f} ms" + (f"   ({errors} non-2xx)" if errors else ""))
            ttfb = []
            for _ in range(20):
                start = time.perf_counter()
                with requests.get(f"{url}/rest/stream?id={song['id']}&{q}", stream=True) as r:
                    next(r.iter_content(1))
                    ttfb.append((time.perf_counter() - start) * 1000)
            print(f"  stream time to first byte (raw): median {statistics.median(ttfb):.1f} ms, max {max(ttfb):.1f} ms")
            ttfb = []
            for i in range(5):
                start = time.perf_counter()
                with requests.get(f"{url}/rest/stream?id={song['id']}&format=opus&maxBitRate={64 + i}&{q}", stream=True) as r:
                    next(r.iter_content(1))
                    ttfb.append((time.perf_counter() - start) * 1000)
            print(f"  stream time to first byte (live opus transcode): median {statistics.median(ttfb):.1f} ms")
        finally:
            inst.close()


if __name__ == "__main__":
    main()
