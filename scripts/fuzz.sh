#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of the parsers of untrusted input (JSON,
# CSV, forms, Subsonic query parameters, scrobble forms, import files, ranges, lyrics, tags, HTTP
# signatures, uploaded pictures' headers) in
# CadenzaFormats and CadenzaTags. Usage: scripts/fuzz.sh [SECONDS]  (default 60; CI runs a short
# bounded run, a longer one is e.g. `scripts/fuzz.sh 3600`). New interesting inputs go to
# .build/fuzz/corpus; a crash is saved under .build/fuzz/artifacts: copy it into Fuzz/regressions
# (it is then replayed by every `make test`) and fix the parser.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scratch=.build/fuzz
# SwiftPM compiles the parsers with the fuzzer's coverage instrumentation; the harness is linked
# by hand because SwiftPM always gives an executable its own main, and libFuzzer brings one.
for target in CadenzaFormats CadenzaTags; do
  swift build -c release --target "$target" --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address 2>&1 \
    | grep -E "error|warning: unre" || true
done
out="$scratch/release"
swiftc -O -sanitize=fuzzer,address -parse-as-library -D FUZZING -module-name cadenza_fuzz_driver \
  -I "$out/Modules" -Xcc -fmodule-map-file="$out/CTagLib.build/module.modulemap" -Xcc -I -Xcc Sources/CTagLib/include \
  Fuzz/Sources/Harness.swift "$out"/CadenzaFormats.build/*.o "$out"/CadenzaTags.build/*.o "$out"/CTagLib.build/*.o \
  $(pkg-config --libs taglib) -lstdc++ -o "$scratch/cadenza-fuzz" 2>&1 | grep -vE "Cannot export local symbol" || true
binary="$scratch/cadenza-fuzz"
[ -x "$binary" ] || { echo "fuzzer build failed"; exit 1; }
mkdir -p "$scratch/corpus" "$scratch/artifacts"
# The first directory receives new inputs; the committed seeds and past crashes are read only.
# Leak checks are off: Foundation caches its formatters and locales once per process (a 128-byte
# "leak" from DateFormatter on the first Last.fm CSV date); what is hunted here is traps and
# memory errors, and -rss_limit_mb still stops an input that grows memory without bound.
# Swift's own crash reporter is off: it attaches to the dying fuzzer and can keep the pipe (and CI) open.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$binary" "$scratch/corpus" Fuzz/corpus Fuzz/regressions \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
  -artifact_prefix="$scratch/artifacts/" -print_final_stats=1 2>&1 | tail -12
status=${PIPESTATUS[0]}
if [ "$status" != 0 ]; then
  echo "the fuzzer found a crash: see $scratch/artifacts (copy it to Fuzz/regressions once fixed)"
  exit "$status"
fi
