#!/usr/bin/env bash
# scripts/test.sh — `make test`: the whole suite against real Redis.
#
# Installs what the tests use when missing (as root with apt-get, like
# `make run`; as another user it names the packages): TEST_PACKAGES and
# PACKAGING_PACKAGES below, a CJK font, the pinned OpenAPI linter and axe-core
# (npm, into var/tools). Prints the versions of the tools.
#
# Starts a throwaway redis-server and a local 3-master Redis Cluster on free
# loopback ports in a temp dir, exports PLEDGESEAL_TEST_REDIS_ADDR,
# PLEDGESEAL_TEST_REDIS_CLUSTER and PLEDGESEAL_TEST_REQUIRE_REDIS=1 (tests that
# need Redis then fail instead of skipping), checks gofmt and go vet, runs
# staticcheck and the OpenAPI lint (full runs), `go test -race -count=1 ./...`, and stops every server it started, also on
# failure or Ctrl-C. Its exit status is the tests' (or gofmt's / vet's when
# the tests pass but those fail). Test artefacts (browser screenshots) are kept
# in var/test-artifacts (or $PLEDGESEAL_TEST_ARTIFACTS).
#
# Extra arguments go to go test, e.g. `scripts/test.sh -run TestX ./internal/trust/`.
set -euo pipefail
SCRIPT_NAME="make test"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

command -v go >/dev/null 2>&1 || die "Go is not installed (this project needs Go 1.26)"

# --- what the tests use --------------------------------------------------------
# Debian packages, as COMMAND:PACKAGE pairs. Run as root, the script installs
# the missing ones with apt-get (like `make run`); as another user it names
# them and stops.
TEST_PACKAGES=(
	git:git                    # version stamping (scripts/lib.sh build_ldflags)
	redis-server:redis-server  # the throwaway Redis and Redis Cluster
	redis-cli:redis-tools      # cluster creation, scripts tests
	openssl:openssl            # cross-checks of the SM2/SM3/SM4 code
	chromium:chromium          # browser tests (internal/web/browsertest)
	fc-list:fontconfig         # to find the CJK font below
	promtool:prometheus        # promtool check metrics (internal/httpapi)
	npm:npm                    # installs the pinned OpenAPI linter (scripts/lint-openapi.sh)
)
# Tools of the packaging checks (deploy/, make dist): extend this list.
PACKAGING_PACKAGES=(
	systemd-analyze:systemd    # systemd-analyze verify on the unit
	dpkg-deb:dpkg              # dpkg-deb -c and dpkg -i of the built .deb
)
INSTALLED_PACKAGES=""
mapfile -t need < <(missing_packages "${TEST_PACKAGES[@]}" "${PACKAGING_PACKAGES[@]}")
# A CJK font so the browser tests' screenshots show the Chinese pages, not boxes.
cjk_font_installed || need+=(fonts-wqy-microhei)
install_packages "${need[@]}"
stop_new_services redis-server prometheus
log "go: $(go version | cut -d' ' -f3-)"
log "redis: $(redis-server --version | cut -d' ' -f3)  openssl: $(openssl version | cut -d' ' -f2)  promtool: $(promtool --version 2>&1 | head -1 | cut -d' ' -f3)  node: $(node --version 2>/dev/null || echo none)"
log "chromium: $(chromium --version 2>/dev/null | head -1 || echo unknown)"

# axe-core, pinned, injected by the browser tests into every page state they
# reach (zero serious or critical accessibility violations). Installed with
# npm into var/tools like the OpenAPI linter; the tests find it through
# PLEDGESEAL_AXE_JS and, under make test, fail without it.
AXE_VERSION=4.14.1
AXE_DIR=$ROOT/var/tools/node_modules/axe-core
if [ "$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$AXE_DIR/package.json" 2>/dev/null | head -1)" != "$AXE_VERSION" ]; then
	log "installing axe-core@$AXE_VERSION into var/tools (npm)"
	mkdir -p "$ROOT/var/tools"
	npm install --prefix "$ROOT/var/tools" --no-audit --no-fund --save-exact --loglevel=error \
		"axe-core@$AXE_VERSION" </dev/null >&2 ||
		log "warning: npm could not install axe-core@$AXE_VERSION; the browser tests will fail"
fi
[ -f "$AXE_DIR/axe.min.js" ] && export PLEDGESEAL_AXE_JS=$AXE_DIR/axe.min.js

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pledgeseal-test.XXXXXX")
PIDFILES=()
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${PIDFILES[@]}"; do
		stop_pidfile "$p" redis-server 10
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port: a loopback port that is free, and whose cluster bus port
# (port + 10000) is free too. Both stay below Linux's ephemeral range
# (32768 and up), so an outgoing connection of the tests cannot take the
# bus port between this check and the server's start.
USED=" "
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((10000 + RANDOM % 12700))
		[[ "$USED" == *" $p "* ]] && continue
		if ! port_open "$p" && ! port_open $((p + 10000)); then
			USED+="$p "
			echo "$p"
			return 0
		fi
	done
	die "no free loopback port found"
}

# start_redis NAME PORT ARGS...: a daemonized redis-server in $TMP/NAME.
start_redis() {
	local name=$1 port=$2 i
	shift 2
	mkdir -p "$TMP/$name"
	redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --dir "$TMP/$name" \
		--daemonize yes --pidfile "$TMP/$name/redis.pid" --logfile "$TMP/$name/redis.log" \
		--save "" --appendonly no "$@" >/dev/null
	PIDFILES+=("$TMP/$name/redis.pid")
	for ((i = 0; i < 100; i++)); do
		redis_ping "$port" && return 0
		sleep 0.1
	done
	cat "$TMP/$name/redis.log" >&2 || true
	die "redis-server $name on port $port did not start"
}

SINGLE=$(free_port)
start_redis single "$SINGLE"
C1=$(free_port)
C2=$(free_port)
C3=$(free_port)
for p in "$C1" "$C2" "$C3"; do
	start_redis "cluster-$p" "$p" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
done
redis-cli --cluster create "127.0.0.1:$C1" "127.0.0.1:$C2" "127.0.0.1:$C3" \
	--cluster-replicas 0 --cluster-yes >"$TMP/cluster-create.log" 2>&1 ||
	{ cat "$TMP/cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
for ((i = 0; i < 200; i++)); do
	ok=1
	for p in "$C1" "$C2" "$C3"; do
		redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
	done
	[ "$ok" = 1 ] && break
	sleep 0.1
done
[ "$ok" = 1 ] || die "the Redis Cluster did not reach cluster_state:ok"
log "Redis on 127.0.0.1:$SINGLE; Redis Cluster on 127.0.0.1:$C1,$C2,$C3"

export PLEDGESEAL_TEST_REDIS_ADDR=127.0.0.1:$SINGLE
export PLEDGESEAL_TEST_REDIS_CLUSTER=127.0.0.1:$C1,127.0.0.1:$C2,127.0.0.1:$C3
export PLEDGESEAL_TEST_REQUIRE_REDIS=1
# Test artefacts (the browser tests' screenshots) are kept after the run.
export PLEDGESEAL_TEST_ARTIFACTS=${PLEDGESEAL_TEST_ARTIFACTS:-$ROOT/var/test-artifacts}
rm -rf "$PLEDGESEAL_TEST_ARTIFACTS/browser"
mkdir -p "$PLEDGESEAL_TEST_ARTIFACTS"

checks=0
log "gofmt"
unformatted=$(gofmt -l $(go list -f '{{.Dir}}' ./...))
if [ -n "$unformatted" ]; then
	log "these files need gofmt:"
	echo "$unformatted" >&2
	checks=1
fi
log "go vet ./..."
go vet ./... || checks=1
if [ $# -eq 0 ]; then
	# staticcheck on full runs (skipped with a message when it cannot be fetched).
	bash scripts/lint.sh || checks=1
	# The OpenAPI document, by an independent validator (pinned Redocly CLI).
	bash scripts/lint-openapi.sh || checks=1
fi

log "go test -race -count=1 ${*:-./...}"
set +e
if [ $# -gt 0 ]; then
	go test -race -count=1 -timeout 12m "$@"
else
	go test -race -count=1 -timeout 12m ./...
fi
rc=$?
set -e
if [ -d "$PLEDGESEAL_TEST_ARTIFACTS/browser" ]; then
	log "browser screenshots: $PLEDGESEAL_TEST_ARTIFACTS/browser"
fi
if [ "$rc" -eq 0 ] && [ "$checks" -ne 0 ]; then
	log "tests passed, but gofmt, go vet, staticcheck or the OpenAPI lint failed (see above)"
	rc=1
fi
exit "$rc"
