# Shared helpers for the scripts in this folder. Source it; do not run it.

# log prints a message on stderr with the script's name.
log() { printf '%s: %s\n' "${SCRIPT_NAME:-pledgeseal}" "$*" >&2; }

# die prints a message and exits non-zero.
die() { log "error: $*"; exit 1; }

# port_open PORT: true when something listens on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# redis_ping PORT: true when a Redis answers PING on 127.0.0.1:PORT.
redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }

# pid_alive PIDFILE NAME: true when PIDFILE names a live process whose command
# line contains NAME (so a recycled pid is never taken for ours).
pid_alive() {
	local pid
	[ -f "$1" ] || return 1
	pid=$(tr -dc '0-9' <"$1")
	[ -n "$pid" ] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# stop_pidfile PIDFILE NAME [SECONDS]: TERM the process, wait, KILL if needed.
stop_pidfile() {
	local pidfile=$1 name=$2 limit=${3:-15} pid i
	if ! pid_alive "$pidfile" "$name"; then
		rm -f "$pidfile"
		return 0
	fi
	pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)
	[ -n "$pid" ] || return 0 # the owner removed it meanwhile: already stopping
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$name (pid $pid) did not stop within ${limit}s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

# http_status URL: prints the HTTP status code of a GET (curl if present,
# else plain bash over /dev/tcp for http://host:port/path).
http_status() {
	if command -v curl >/dev/null 2>&1; then
		curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true
		return 0
	fi
	local rest hostport host port path line
	rest=${1#http://}
	hostport=${rest%%/*}
	path=/${rest#*/}
	[ "$rest" = "$hostport" ] && path=/
	host=${hostport%:*}
	port=${hostport##*:}
	{
		exec 3<>"/dev/tcp/$host/$port" || { echo 000; return 0; }
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
		read -r -t 2 line <&3 || line=""
		exec 3>&-
	} 2>/dev/null
	line=${line#HTTP/* }
	echo "${line%% *}"
}

# install_hint PACKAGE...: what to do when packages are missing and we cannot install them.
install_hint() {
	die "not installed: $*. Install (Debian/Ubuntu: sudo apt-get install -y $*), or run this as root to let the script install them."
}

# missing_packages CMD:PKG...: prints, one a line, the Debian packages of
# the commands that are not on PATH.
missing_packages() {
	local pair
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || echo "${pair#*:}"
	done
}

# cjk_font_installed: true when a CJK font is installed (the browser tests'
# screenshots show the Chinese pages, not boxes).
# (grep reads all: with -q, fc-list could die of SIGPIPE and pipefail fail the test.)
cjk_font_installed() { fc-list 2>/dev/null | grep -iE 'wqy|noto sans cjk|noto serif cjk' >/dev/null; }

# install_packages PKG...: installs the Debian packages with apt-get when
# running as root (no stdin needed: CI); otherwise exits naming them. The
# packages installed are added to INSTALLED_PACKAGES.
install_packages() {
	[ $# -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		install_hint "$*"
	fi
	log "installing $* with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null >&2
	apt-get install -y -qq "$@" </dev/null >&2
	INSTALLED_PACKAGES="${INSTALLED_PACKAGES:-} $*"
}

# ensure_packages CMD:PKG...: installs the Debian packages of missing commands
# with apt-get when running as root; otherwise exits with a clear message.
ensure_packages() {
	local missing=()
	mapfile -t missing < <(missing_packages "$@")
	install_packages "${missing[@]}"
}

# stop_new_services PKG...: Debian starts a package's service when it is
# installed (redis-server on 6379, prometheus on 9090); the scripts run
# their own servers, so stop the services of the packages this run just
# installed.
stop_new_services() {
	local pkg
	for pkg in "$@"; do
		[[ " ${INSTALLED_PACKAGES:-} " == *" $pkg "* ]] || continue
		log "stopping the $pkg service that apt-get just started"
		service "$pkg" stop >/dev/null 2>&1 || systemctl stop "$pkg" >/dev/null 2>&1 || true
	done
}

# build_ldflags prints the -ldflags that stamp the version into the binaries
# (internal/version): `git describe --tags --always --dirty` and the full
# commit, or "unknown" outside a git checkout. PLEDGESEAL_VERSION overrides
# the version (release builds from an archive without .git).
build_ldflags() {
	local v c pkg=github.com/pledgeseal/pledgeseal/internal/version
	v=${PLEDGESEAL_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo unknown)}
	c=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	printf -- '-X %s.version=%s -X %s.commit=%s' "$pkg" "$v" "$pkg" "$c"
}

# go_build OUTDIR PACKAGE...: go build with the version stamped in, both by
# -ldflags (build_ldflags) and by Go's own VCS stamping (-buildvcs=auto: on
# in a git checkout even when GOFLAGS says -buildvcs=false, off without git),
# so `go version -m` and `--version` name the commit.
go_build() {
	local out=$1
	shift
	mkdir -p "$out"
	go build -buildvcs=auto -ldflags "$(build_ldflags)" -o "$out/" "$@"
}
