#!/usr/bin/env bash
# scripts/stop.sh — `make stop`: stops the pledged and Redis that a `make run`
# left running, found through var/pledged.pid and var/redis.pid. Processes
# whose command line does not match are never touched.
set -euo pipefail
SCRIPT_NAME="make stop"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
VAR=$ROOT/var
stopped=0
if pid_alive "$VAR/pledged.pid" pledged; then
	log "stopping pledged (pid $(cat "$VAR/pledged.pid"))"
	stop_pidfile "$VAR/pledged.pid" pledged 20
	stopped=1
fi
if pid_alive "$VAR/redis.pid" redis-server; then
	log "stopping Redis (pid $(cat "$VAR/redis.pid")); data stays in var/redis"
	stop_pidfile "$VAR/redis.pid" redis-server 20
	stopped=1
fi
rm -f "$VAR/pledged.pid" "$VAR/redis.pid"
[ "$stopped" = 1 ] || log "nothing to stop"
