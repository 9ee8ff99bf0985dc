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
failed=()
step() {
  local name=$1; shift
  echo "== $name"
  "$@" || failed+=("$name")
}
step "swift tests (SQLite)" swift test --skip-build
step "swift tests (PostgreSQL)" env CADENZA_TEST_DATABASE_URL="$pg_url" swift test --skip-build
step "parser regressions (seed corpus and past crashes)" .build/debug/cadenza-fuzz Fuzz/corpus Fuzz/regressions
step "fuzzing (libFuzzer, ${CADENZA_FUZZ_SECONDS:-60} s)" scripts/fuzz.sh "${CADENZA_FUZZ_SECONDS:-60}"
step "end-to-end (SQLite)" .venv/bin/pytest -q tests/e2e
step "end-to-end (PostgreSQL)" env CADENZA_TEST_DATABASE_URL="$pg_url" .venv/bin/pytest -q tests/e2e

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
