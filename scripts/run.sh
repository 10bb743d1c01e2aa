#!/usr/bin/env bash
# scripts/run.sh — `make run`: the dev service in the foreground.
#
# Installs redis-server when missing (as root, with apt-get), starts Redis from
# scripts/redis.conf with its data under var/redis/, creates dev trust material
# (keys/dev) and dev tokens on first run, builds bin/pledged and bin/pledgectl,
# starts pledged, waits for GET /readyz == 200, seeds the demo catalogue and
# notices through the HTTP API (`pledgectl demo seed`, a no-op once done) and
# prints the base URL, the web pages, which dev token goes where and the tokens. Ctrl-C stops pledged and Redis; `make stop` stops what a run left
# behind. A second run reuses var/redis, keys/dev and var/dev-tokens.
#
# Environment (all optional):
#   PLEDGESEAL_LISTEN          pledged address          (127.0.0.1:8080)
#   PLEDGESEAL_REDIS_PORT      dev Redis port           (6379)
#   PLEDGESEAL_KEYS_DIR        trust material           (keys/dev)
#   PLEDGESEAL_KEY_PASSPHRASE  key passphrase           (the public dev default)
#   PLEDGESEAL_KEY_PASSPHRASE_FILE, PLEDGESEAL_LOG_LEVEL, PLEDGESEAL_BASE_URL
set -euo pipefail
SCRIPT_NAME="make run"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

VAR=$ROOT/var
PORT=${PLEDGESEAL_REDIS_PORT:-6379}
LISTEN=${PLEDGESEAL_LISTEN:-127.0.0.1:8080}
KEYS=${PLEDGESEAL_KEYS_DIR:-keys/dev}
TOKENS=$VAR/dev-tokens
DEV_PASS=pledgeseal-dev-only # documented in README.md and keys/README.md: dev only
case "$PORT" in '' | *[!0-9]*) die "PLEDGESEAL_REDIS_PORT=$PORT is not a port number" ;; esac

# --- prerequisites -----------------------------------------------------------
command -v go >/dev/null 2>&1 || die "Go is not installed (this project needs Go 1.26: https://go.dev/doc/install)"
INSTALLED_PACKAGES=""
ensure_packages redis-server:redis-server redis-cli:redis-tools
if [[ " $INSTALLED_PACKAGES " == *" redis-server "* ]] && redis_ping 6379; then
	# Debian starts its own Redis service on 6379 after installing the package;
	# this script runs its own, so stop the one the install just started.
	log "stopping the redis-server service that apt-get just started on 6379"
	service redis-server stop >/dev/null 2>&1 || systemctl stop redis-server >/dev/null 2>&1 || true
fi

mkdir -p "$VAR/redis"
chmod 700 "$VAR" "$VAR/redis"

# Leftovers of a previous run that was not stopped (a closed terminal, kill -9).
if pid_alive "$VAR/pledged.pid" pledged || pid_alive "$VAR/redis.pid" redis-server; then
	log "a previous make run is still running: stopping it first"
	bash scripts/stop.sh
fi

# --- Redis ---------------------------------------------------------------------
if port_open "$PORT"; then
	if redis_ping "$PORT"; then
		die "port $PORT is taken by a Redis that this script did not start (a system service?). Stop it, or choose another port: PLEDGESEAL_REDIS_PORT=6380 make run"
	fi
	die "port $PORT is taken by another program. Choose another port: PLEDGESEAL_REDIS_PORT=6380 make run"
fi

PLEDGED_PID=""
REDIS_PID=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$PLEDGED_PID" ]; then
		log "stopping pledged"
		kill -TERM "$PLEDGED_PID" 2>/dev/null || true
		wait "$PLEDGED_PID" 2>/dev/null || true
		rm -f "$VAR/pledged.pid"
	fi
	if [ -n "$REDIS_PID" ]; then
		log "stopping Redis (data kept in var/redis)"
		kill -TERM "$REDIS_PID" 2>/dev/null || true
		wait "$REDIS_PID" 2>/dev/null || true
		rm -f "$VAR/redis.pid"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting Redis on 127.0.0.1:$PORT (data in var/redis, log in var/redis.log)"
redis-server "$ROOT/scripts/redis.conf" --port "$PORT" --dir "$VAR/redis" \
	--pidfile "$VAR/redis.pid" --logfile "$VAR/redis.log" &
REDIS_PID=$!
for ((i = 0; i < 100; i++)); do
	redis_ping "$PORT" && break
	kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited at start-up: see var/redis.log"
	sleep 0.1
done
redis_ping "$PORT" || die "Redis did not answer within 10 s: see var/redis.log"

# --- build ---------------------------------------------------------------------
log "building bin/pledged and bin/pledgectl"
go_build bin ./cmd/pledged ./cmd/pledgectl || die "the build failed (see the compiler messages above)"

# --- configuration shared by pledgectl and pledged ---------------------------------
export PLEDGESEAL_LISTEN=$LISTEN
export PLEDGESEAL_REDIS_ADDRS=127.0.0.1:$PORT
export PLEDGESEAL_KEYS_DIR=$KEYS
if [ -z "${PLEDGESEAL_KEY_PASSPHRASE:-}" ] && [ -z "${PLEDGESEAL_KEY_PASSPHRASE_FILE:-}" ]; then
	export PLEDGESEAL_KEY_PASSPHRASE=$DEV_PASS
fi
export PLEDGESEAL_LOG_LEVEL=${PLEDGESEAL_LOG_LEVEL:-info}
export PLEDGESEAL_BASE_URL=${PLEDGESEAL_BASE_URL:-http://$LISTEN}
export PLEDGESEAL_HOLIDAYS_FILE=${PLEDGESEAL_HOLIDAYS_FILE:-deploy/holidays-cn.json}

# --- dev trust material ---------------------------------------------------------------
if [ ! -f "$KEYS/manifest.json" ]; then
	log "first run: creating dev trust material in $KEYS"
	bin/pledgectl init --dev --dir "$KEYS"
	rm -f "$TOKENS" # tokens made under older keys no longer verify
fi

# --- dev tokens ----------------------------------------------------------------------
# pledgectl token create prints the secret token alone on its first stdout line.
make_token() { # LABEL ARGS...
	local label=$1 tok
	shift
	if ! tok=$(bin/pledgectl token create "$@" </dev/null | head -n 1) || [ -z "$tok" ]; then
		log "warning: could not create the $label token (pledgectl token create $*)"
		return 1
	fi
	printf '%-34s %s\n' "$label" "$tok" >>"$TOKENS.tmp"
}
if [ ! -s "$TOKENS" ]; then
	if bin/pledgectl token create --help >/dev/null 2>&1; then
		log "first run: creating dev tokens (kept in var/dev-tokens, mode 0600)"
		rm -f "$TOKENS.tmp"
		(umask 077 && : >"$TOKENS.tmp")
		ok=1
		make_token "admin" --role admin || ok=0
		make_token "seal_maker" --role seal_maker || ok=0
		while read -r code; do
			make_token "agency $code" --role agency --org "$code" || ok=0
		done <<<"110105-SCJGJ
110105-MZJ"
		make_token "enforcement 110105" --role enforcement --org 110105 || ok=0
		# The example citizen ID number of GB 11643-1999 itself: no real person.
		make_token "applicant 张三 (11010519491231002X)" --role applicant --subject 张三 \
			--id-type RESIDENT_ID --id-number 11010519491231002X || ok=0
		if [ "$ok" = 1 ]; then
			mv "$TOKENS.tmp" "$TOKENS"
		else
			rm -f "$TOKENS.tmp"
			log "warning: dev tokens were not all created; make run will try again next time"
		fi
	else
		log "warning: 'pledgectl token create' is not available yet: no dev tokens were created"
	fi
fi

# --- pledged -----------------------------------------------------------------------------
log "starting pledged on $LISTEN"
bin/pledged &
PLEDGED_PID=$!
echo "$PLEDGED_PID" >"$VAR/pledged.pid"
ready=""
for ((i = 0; i < 600; i++)); do
	if [ "$(http_status "http://$LISTEN/readyz")" = "200" ]; then
		ready=1
		break
	fi
	kill -0 "$PLEDGED_PID" 2>/dev/null || { wait "$PLEDGED_PID" || true; PLEDGED_PID=""; die "pledged exited at start-up (see its messages above)"; }
	sleep 0.1
done
[ -n "$ready" ] || die "pledged did not become ready within 60 s (GET http://$LISTEN/readyz)"

# --- demo content --------------------------------------------------------------------------
# One catalogue entry and one sealed notice per demo agency, through the HTTP
# API; a no-op (a few GETs) when a previous run already made them.
if [ -s "$TOKENS" ]; then
	log "seeding the demo catalogue and notices (pledgectl demo seed)"
	bin/pledgectl demo seed --base-url "http://$LISTEN" --tokens-file "$TOKENS" >&2 ||
		log "warning: pledgectl demo seed failed (see above); the applicant page may have nothing to sign"
fi

{
	echo
	echo "PledgeSeal is running (dev mode, DEV ONLY trust material in $KEYS)"
	echo "  base URL:  $PLEDGESEAL_BASE_URL"
	echo "  readiness: $PLEDGESEAL_BASE_URL/readyz"
	echo "  Redis:     127.0.0.1:$PORT (AOF in var/redis)"
	echo "  web pages (paste the dev token named on the right into the page's sign-in box):"
	echo "    $PLEDGESEAL_BASE_URL/app/          home"
	echo "    $PLEDGESEAL_BASE_URL/app/apply     applicant: read a notice, sign a pledge   -> token 'applicant ...'"
	echo "    $PLEDGESEAL_BASE_URL/app/verify    verify a pledge package or ID              -> no token needed"
	echo "    $PLEDGESEAL_BASE_URL/app/officer   agency officer: accept or reject pledges   -> token 'agency 110105-SCJGJ' or 'agency 110105-MZJ'"
	echo "    $PLEDGESEAL_BASE_URL/app/enforce   post-checks and findings                   -> token 'enforcement 110105'"
	echo "    $PLEDGESEAL_BASE_URL/app/public    public disclosure (公示) and false pledges  -> no token needed"
	echo "  try: $PLEDGESEAL_BASE_URL/app/apply?region=110105&matter=SCJG-GTGSH-SLDJ (notice loads by itself)"
	if [ -s "$TOKENS" ]; then
		echo "  dev tokens (Authorization: Bearer TOKEN):"
		sed 's/^/    /' "$TOKENS"
	else
		echo "  dev tokens: none yet (see the warnings above)"
	fi
	echo "Press Ctrl-C to stop (or run 'make stop' from another terminal)."
	echo
} >&2

set +e
wait "$PLEDGED_PID"
rc=$?
PLEDGED_PID=""
rm -f "$VAR/pledged.pid"
# 130/143: stopped by Ctrl-C or make stop; anything else is a crash.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ]; then
	log "pledged exited with status $rc"
	exit "$rc"
fi
exit 0
