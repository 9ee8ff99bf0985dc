#!/usr/bin/env bash
# Installs the Debian packages Cadenza needs when they are missing.
#   scripts/install-deps.sh run    what `make run` needs
#   scripts/install-deps.sh test   what `make test` needs as well
#   scripts/install-deps.sh bench  what `make bench` needs as well
set -euo pipefail
run_pkgs=(ffmpeg libtag1-dev libqrencode-dev sqlite3 pkg-config unzip)
test_pkgs=(postgresql postgresql-client python3-venv python3-pip procps chromium chromium-driver icecast2 zbar-tools nginx systemd)
bench_pkgs=(wrk time liquidsoap)   # liquidsoap: the radio bench runs it beside Cadenza as the anchor
want=("${run_pkgs[@]}")
[ "${1:-run}" = test ] && want+=("${test_pkgs[@]}")
[ "${1:-run}" = bench ] && want+=("${test_pkgs[@]}" "${bench_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "Missing Debian packages: ${missing[*]} (run as root or install them)" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's icecast2 may start a server of its own on port 8000; the radio tests start theirs.
if [[ " ${missing[*]} " == *" icecast2 "* ]]; then
  $sudo service icecast2 stop >/dev/null 2>&1 || true
fi
# Debian's nginx starts its default site on port 80; the cluster test runs an nginx of its own.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  $sudo service nginx stop >/dev/null 2>&1 || true
fi
# The Debian package starts a cluster of its own; tests start their own throwaway one instead.
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null; then
  $sudo pg_ctlcluster --mode fast "$(pg_lsclusters -h | awk 'NR==1{print $1}')" main stop 2>/dev/null || true
fi
