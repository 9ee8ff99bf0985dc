#!/usr/bin/env bash
# Throwaway PostgreSQL for tests and benchmarks, on a free loopback port.
#   scripts/pg.sh start DIR   -> initialises DIR, starts the server, prints its URL
#   scripts/pg.sh stop DIR    -> stops it and removes DIR
#   scripts/pg.sh pause DIR   -> stops it, keeping DIR (a database outage, for tests)
#   scripts/pg.sh resume DIR  -> starts it again on the same port
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root; use its own system account then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    # mktemp makes 0700 directories; the postgres account must be able to pass through the parent.
    chmod a+x "$(dirname "$dir")"
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
  echo "$port" >"$dir/port"
  "$0" resume "$dir"
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  ;;
resume)
  port=$(cat "$dir/port")
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  ;;
pause)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  ;;
stop)
  if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
