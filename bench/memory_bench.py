"""Idle memory: `cadenza serve` on SQLite with an N-track library, idle after its scan.

Prints the resident set and where it lies, from /proc/PID/smaps: the binary's own pages, the
Swift runtime and Foundation libraries, other shared libraries, and anonymous memory (the heap and
thread stacks), each split into clean (file pages the kernel can drop and read again) and dirty.

    .venv/bin/python bench/memory_bench.py [--size 20000] [--wait 40]

The server trims the heap every 30 s, so the default wait measures after the first trim.
"""
import argparse
import os
import time
from collections import defaultdict

import requests

from common import BIN, Instance, rss_mb
from library_bench import library


def smaps(pid):
    """{group: [rss_kb, dirty_kb]} for the process's mappings."""
    binary = os.path.realpath(BIN)
    groups = defaultdict(lambda: [0, 0])
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            if "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
                path = fields[5] if len(fields) > 5 else ""
                if path == binary:
                    name = "the cadenza binary"
                elif "/swift" in path or "libFoundation" in path or "lib_Foundation" in path or "libdispatch" in path \
                        or "libswift" in path or "libBlocksRuntime" in path:
                    name = "Swift runtime and Foundation"
                elif path.startswith("/"):
                    name = "other libraries and files"
                else:
                    name = "anonymous (heap, stacks)"
            elif fields[0] == "Rss:":
                groups[name][0] += int(fields[1])
            elif fields[0] in ("Private_Dirty:", "Shared_Dirty:"):
                groups[name][1] += int(fields[1])
    return groups


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--wait", type=int, default=40, help="seconds idle before measuring")
    parser.add_argument("--cache", default="/tmp/cadenza-bench-libs")
    args = parser.parse_args()
    root = library(args.cache, args.size)
    inst = Instance()
    try:
        inst.run("migrate")
        proc, url, _ = inst.serve(CADENZA_MUSIC_DIRS=root, CADENZA_RESCAN_MINUTES=0)
        token = inst.admin_token(url)
        started = time.time()
        # The first start scans the library (a job): idle means after it.
        while True:
            r = requests.get(url + f"/api/v1/tracks?limit=1&offset={args.size - 1}", headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 200 and r.json()["items"]:
                break
            if time.time() - started > 1800:
                raise RuntimeError("the scan did not finish in 30 minutes")
            time.sleep(1)
        scanned = time.time() - started
        time.sleep(args.wait)
        rss = rss_mb(proc.pid)
        print(f"== idle memory, SQLite, {args.size}-track library (scanned in {scanned:.0f} s), {args.wait} s idle after")
        print(f"resident: {rss:.1f} MB")
        for group, (resident, dirty) in sorted(smaps(proc.pid).items(), key=lambda g: -g[1][0]):
            print(f"  {group}: {resident / 1024:.1f} MB ({(resident - dirty) / 1024:.1f} clean, {dirty / 1024:.1f} dirty)")
    finally:
        inst.close()


if __name__ == "__main__":
    main()
