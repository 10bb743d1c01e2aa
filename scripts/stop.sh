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
	log "stopping pledged (pid $(cat "$VAR/pledged.pid" 2>/dev/null || echo ?))"
	stop_pidfile "$VAR/pledged.pid" pledged 20
	stopped=1
fi
# Stopping pledged ends the `make run` that started it, whose trap then
# stops its Redis and removes var/redis.pid: check again after a moment.
[ "$stopped" = 1 ] && sleep 1
if pid_alive "$VAR/redis.pid" redis-server; then
	redis_pid=$(cat "$VAR/redis.pid" 2>/dev/null || true)
	log "stopping Redis (pid ${redis_pid:-?}); data stays in var/redis"
	stop_pidfile "$VAR/redis.pid" redis-server 20
	stopped=1
fi
rm -f "$VAR/pledged.pid" "$VAR/redis.pid"
[ "$stopped" = 1 ] || log "nothing to stop"
