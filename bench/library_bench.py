"""Library figures: full scan rate, unchanged re-scan time, peak RSS, raw TagLib rate and the ratio.

Usage: python bench/library_bench.py [--pg postgres://…/postgres] [--sizes 2000,20000]
Libraries are generated once with shared/tools/make_library.py into --cache (default /tmp/cadenza-bench-libs).
"""
import argparse
import json
import os
import re
import subprocess
import sys

from common import BIN, Instance

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_LIBRARY = os.environ.get("MAKE_LIBRARY", os.path.join(HERE, "../../shared/tools/make_library.py"))
SHAPES = {2000: (40, 5, 10), 20000: (200, 10, 10)}


def library(cache, size):
    out = os.path.join(cache, f"lib-{size}")
    marker = os.path.join(out, ".complete")
    if not os.path.exists(marker):
        artists, albums, tracks = SHAPES.get(size, (max(1, size // 100), 10, 10))
        subprocess.run([sys.executable, MAKE_LIBRARY, "--out", out, "--artists", str(artists), "--albums", str(albums),
                        "--tracks", str(tracks)], check=True, stdout=subprocess.DEVNULL)
        open(marker, "w").close()
    return out


def timed_scan(inst, *args):
    """Runs `cadenza scan --now` under /usr/bin/time; returns (summary line, peak RSS MB)."""
    env = inst.env()
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", BIN, "scan", "--now", *args], env=env,
                       capture_output=True, text=True, check=True)
    rss = int(re.search(r"MAXRSS (\d+)", r.stderr).group(1)) / 1024
    return r.stdout.strip().splitlines()[-1], rss


def parse(summary):
    numbers = dict((k, int(v)) for v, k in re.findall(r"(\d+) (seen|added|updated|moved|removed|failed|unchanged)", summary))
    numbers["ms"] = int(re.search(r"in (\d+) ms", summary).group(1))
    return numbers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg")
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--cache", default="/tmp/cadenza-bench-libs")
    args = parser.parse_args()
    print("== library benchmark (cadenza scan --now: walk, TagLib, fingerprint, catalog writes; one process)")
    for size in [int(s) for s in args.sizes.split(",")]:
        root = library(args.cache, size)
        subprocess.run([BIN, "tags", "--rate", root], capture_output=True)   # warm the page cache
        raw = subprocess.run([BIN, "tags", "--rate", root], capture_output=True, text=True, check=True).stdout.strip()
        raw_rate = float(re.search(r"([\d.]+) files/s", raw).group(1))
        print(f"{size} tracks: raw TagLib read rate (all cores, no database): {raw_rate:.0f} files/s")
        for name, pg in [("SQLite", None)] + ([("PostgreSQL", args.pg)] if args.pg else []):
            inst = Instance(pg)
            try:
                inst.run("migrate")
                full, rss = timed_scan(inst, "--music-dir", root)
                f = parse(full)
                again, _ = timed_scan(inst)
                a = parse(again)
                rate = f["added"] / (f["ms"] / 1000)
                print(f"  {name:10s} full scan {f['added']} tracks in {f['ms']/1000:.2f} s = {rate:.0f} tracks/s "
                      f"(ratio to raw {rate / raw_rate:.0%}); peak RSS {rss:.0f} MB; "
                      f"unchanged re-scan {a['ms']} ms ({a['unchanged']} unchanged)")
            finally:
                inst.close()


if __name__ == "__main__":
    main()
