#!/usr/bin/env bash
# scripts/bench.sh — `make bench`: the performance harness (issue 8).
#
# Builds pledged, pledgectl and pledgebench from this tree into a temp dir,
# starts a throwaway redis-server from scripts/redis.conf (AOF with
# appendfsync always, as shipped) on a free loopback port with its data in
# the temp dir, and runs pledgebench against it: SM2 ceilings, in-process
# sign / counter-seal / verify, HTTP load on its own pledged, the batch
# status lookup. The JSON result goes to var/bench/ and a table with a
# PASS/MISS line per target to stdout. Everything it started is stopped and
# the temp dir removed, also on failure or Ctrl-C. Not part of `make test`.
#
# Extra arguments go to pledgebench, e.g.
#   scripts/bench.sh -step 3s -concurrency 1,4,16
#   scripts/bench.sh -skip-http
#   scripts/bench.sh -gogc 400          # pledged's GC target (GOGC)
# BENCH_APPENDFSYNC=everysec runs Redis with that fsync policy instead of the
# shipped "always", to see what the fsync of each write costs the tail.
set -euo pipefail
SCRIPT_NAME="make bench"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

command -v go >/dev/null 2>&1 || die "Go is not installed (this project needs Go 1.26)"
command -v redis-server >/dev/null 2>&1 || install_hint redis-server
command -v redis-cli >/dev/null 2>&1 || install_hint redis-tools

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pledgeseal-bench.XXXXXX")
REDIS_PIDFILE=$TMP/redis/redis.pid
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pidfile "$REDIS_PIDFILE" redis-server 10
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=""
for ((i = 0; i < 200; i++)); do
	p=$((20000 + RANDOM % 35000))
	if ! port_open "$p"; then
		PORT=$p
		break
	fi
done
[ -n "$PORT" ] || die "no free loopback port found"

log "building pledged, pledgectl and pledgebench"
mkdir -p "$TMP/bin" "$TMP/redis"
go_build "$TMP/bin" ./cmd/pledged ./cmd/pledgectl ./cmd/pledgebench || die "the build failed (see the compiler messages above)"

FSYNC=${BENCH_APPENDFSYNC:-always}
case "$FSYNC" in always | everysec | no) ;; *) die "BENCH_APPENDFSYNC must be always, everysec or no" ;; esac
log "starting Redis on 127.0.0.1:$PORT (scripts/redis.conf: AOF, appendfsync $FSYNC; data in $TMP)"
redis-server "$ROOT/scripts/redis.conf" --port "$PORT" --dir "$TMP/redis" --daemonize yes \
	--appendfsync "$FSYNC" --pidfile "$REDIS_PIDFILE" --logfile "$TMP/redis/redis.log" >/dev/null
for ((i = 0; i < 100; i++)); do
	redis_ping "$PORT" && break
	sleep 0.1
done
redis_ping "$PORT" || { cat "$TMP/redis/redis.log" >&2 || true; die "redis-server did not start"; }

# Redis records every event (e.g. an AOF fsync) slower than 5 ms; the
# summary below says whether Redis itself added to the latency tail.
redis-cli -p "$PORT" CONFIG SET latency-monitor-threshold 5 >/dev/null || true

log "load before the run: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
"$TMP/bin/pledgebench" -redis "127.0.0.1:$PORT" -redis-pid "$(cat "$REDIS_PIDFILE")" -bin "$TMP/bin" -out "$ROOT/var/bench" "$@"
log "load after the run: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
log "Redis events slower than 5 ms (LATENCY LATEST: event, last at, last ms, max ms):"
redis-cli -p "$PORT" LATENCY LATEST 2>/dev/null | paste -d' ' - - - - | sed 's/^/    /' || true
log "Redis fsync: $(redis-cli -p "$PORT" INFO persistence 2>/dev/null | grep -E '^aof_delayed_fsync' | tr -d '\r' || true)"
