#!/usr/bin/env bash
# Runs every benchmark against the release build, on SQLite and on a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/cadenza ] || swift build -c release --product cadenza
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
work=$(mktemp -d /tmp/cadenza-bench.XXXXXX)
trap 'scripts/pg.sh stop "$work/pg"; rm -rf "$work"' EXIT
pg=$(scripts/pg.sh start "$work/pg")
export CADENZA_BIN="$PWD/.build/release/cadenza"
.venv/bin/python bench/platform_bench.py --pg "$pg" "$@"
.venv/bin/python bench/library_bench.py --pg "$pg"
.venv/bin/python bench/memory_bench.py
.venv/bin/python bench/subsonic_bench.py --pg "$pg"
.venv/bin/python bench/listens_bench.py --pg "$pg"
.venv/bin/python bench/webui_bench.py --pg "$pg"
.venv/bin/python bench/radio_bench.py --pg "$pg"
.venv/bin/python bench/jukebox_bench.py --pg "$pg"
.venv/bin/python bench/notify_bench.py --pg "$pg"
.venv/bin/python bench/federation_bench.py --pg "$pg"
.venv/bin/python bench/discovery_bench.py --pg "$pg"
# Per-request costs (statement counts need pg_stat_statements loaded, which this throwaway server does not).
.venv/bin/python bench/capacity.py --pg "$pg"
.venv/bin/python bench/fault_campaign.py --pg "$pg" --minutes 3
