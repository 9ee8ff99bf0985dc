#!/usr/bin/env bash
# The whole suite: Swift tests and end-to-end tests against the real binary, each on SQLite and
# on a throwaway PostgreSQL server that this script starts and stops.
set -uo pipefail
cd "$(dirname "$0")/.."

echo "== build"
swift build --build-tests 2>&1 | grep -vE "found 1 file\(s\) which are unhandled|distributed-tracing/Sources/Instrumentation" || true
[ "${PIPESTATUS[0]}" = 0 ] || { echo "build failed"; exit 1; }

echo "== format (make format fixes it)"
swift format lint -r --strict --configuration .swift-format Sources Tests Fuzz/Sources || { echo "code is not formatted: run make format"; exit 1; }

echo "== python test clients"
if [ ! -x .venv/bin/pytest ]; then python3 -m venv .venv || exit 1; fi
.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt || exit 1

work=$(mktemp -d /tmp/cadenza-test.XXXXXX)
cleanup() { scripts/pg.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT
pg_url=$(scripts/pg.sh start "$work/pg") || { echo "could not start PostgreSQL"; exit 1; }
echo "PostgreSQL at $pg_url"

export CADENZA_BIN="$PWD/.build/debug/cadenza"
# Three lanes side by side: most of the end-to-end time is spent waiting on real-time audio,
# sockets and timers, not on the two cores. The SQLite and PostgreSQL passes each begin with the
# radio files (real-time playout, which CPU-heavy neighbours starve: a third pass with chromium
# beside two did); the third lane waits for both to be past them, then runs the CPU-bound work:
# the Swift tests on both databases, the parser fuzzing and the OpenAPI fuzz on both. (With these
# before two passes that each ran the OpenAPI fuzz, 4.5 minutes of debug-build requests, the run
# took 47 minutes on 2026-12-07.)
# Each lane writes its own log, shown when it ends, and names what failed in $work/failed.
radio_pg=(tests/e2e/test_radio.py tests/e2e/test_radio_live.py tests/e2e/test_radio_playout.py tests/e2e/test_radio_schedule.py)
radio=("${radio_pg[@]}" tests/e2e/test_radio_blocks.py)
openapi=tests/e2e/test_openapi_fuzz.py
pytest_e2e() { .venv/bin/pytest -q -p no:cacheprovider --durations=10 "$@"; }
# Runs a command (or one of these functions) against the test PostgreSQL server.
on_pg() { CADENZA_TEST_DATABASE_URL="$pg_url" "$@"; }
# Runs a named part of a lane; a failure is written down.
part() {
  local name=$1; shift
  echo "== $name"
  "$@" || echo "$name" >>"$work/failed"
}
# The PostgreSQL lane's radio part is the longer one, so the SQLite lane also takes PostgreSQL's
# pass of test_radio_blocks (1.5 minutes) and, at its end, of test_cluster (2 minutes).
sqlite_lane() {
  part "end-to-end radio (SQLite)" pytest_e2e "${radio[@]}"
  part "end-to-end radio blocks (PostgreSQL)" on_pg pytest_e2e tests/e2e/test_radio_blocks.py
  touch "$work/radio-sqlite-done"
  part "end-to-end (SQLite)" pytest_e2e "${radio[@]/#/--ignore=}" --ignore=$openapi tests/e2e
  part "end-to-end cluster (PostgreSQL)" on_pg pytest_e2e tests/e2e/test_cluster.py
}
pg_lane() {
  export CADENZA_TEST_DATABASE_URL="$pg_url"
  part "end-to-end radio (PostgreSQL)" pytest_e2e "${radio_pg[@]}"
  touch "$work/radio-pg-done"
  part "end-to-end (PostgreSQL)" pytest_e2e "${radio[@]/#/--ignore=}" --ignore=$openapi --ignore=tests/e2e/test_cluster.py tests/e2e
}
cpu_lane() {
  while [ ! -e "$work/radio-sqlite-done" ] || [ ! -e "$work/radio-pg-done" ]; do sleep 2; done
  part "swift tests (SQLite)" swift test --skip-build
  part "swift tests (PostgreSQL)" on_pg swift test --skip-build
  part "parser regressions (seed corpus and past crashes)" .build/debug/cadenza-fuzz Fuzz/corpus Fuzz/regressions
  part "fuzzing (libFuzzer, ${CADENZA_FUZZ_SECONDS:-60} s)" scripts/fuzz.sh "${CADENZA_FUZZ_SECONDS:-60}"
  part "OpenAPI fuzz (SQLite)" pytest_e2e $openapi
  part "OpenAPI fuzz (PostgreSQL)" on_pg pytest_e2e $openapi
}
lane() {
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1
  echo "== lane $name done"; cat "$work/$name.log"
}
: >"$work/failed"
lane sqlite sqlite_lane &
lanes=($!)
lane postgresql pg_lane &
lanes+=($!)
lane cpu cpu_lane &
lanes+=($!)
wait "${lanes[@]}"

mapfile -t failed <"$work/failed"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all test steps passed"
