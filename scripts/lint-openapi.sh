#!/usr/bin/env bash
# scripts/lint-openapi.sh — lints api/openapi.yaml with an independent
# validator, Redocly CLI, at zero errors (rules in redocly.yaml). `make test`
# runs it on full runs.
#
# The CLI is pinned (REDOCLY_VERSION) and installed with npm into
# var/tools/node_modules (project-local, kept across runs; nothing global).
# 1.34.x is the line that still runs on Debian 12's Node.js 18 (2.x needs
# Node 20.19+). npm itself comes from scripts/test.sh's package list.
set -euo pipefail
SCRIPT_NAME=${SCRIPT_NAME:-lint-openapi}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

REDOCLY_VERSION=1.34.20
TOOLS=$ROOT/var/tools
REDOCLY=$TOOLS/node_modules/.bin/redocly
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

command -v npm >/dev/null 2>&1 || install_hint npm
if [ ! -x "$REDOCLY" ] || [ "$("$REDOCLY" --version 2>/dev/null)" != "$REDOCLY_VERSION" ]; then
	log "installing @redocly/cli@$REDOCLY_VERSION into var/tools (npm)"
	mkdir -p "$TOOLS"
	npm install --prefix "$TOOLS" --no-audit --no-fund --save-exact --loglevel=error \
		"@redocly/cli@$REDOCLY_VERSION" </dev/null >&2 ||
		die "npm could not install @redocly/cli@$REDOCLY_VERSION (network? registry?)"
fi
log "redocly lint api/openapi.yaml (@redocly/cli $REDOCLY_VERSION, rules in redocly.yaml)"
"$REDOCLY" lint --config redocly.yaml --format stylish api/openapi.yaml </dev/null
