#!/usr/bin/env bash
# scripts/build.sh — `make build`: bin/pledged and bin/pledgectl with the
# version stamped in (scripts/lib.sh go_build; `bin/pledged --version`).
set -euo pipefail
SCRIPT_NAME="make build"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

command -v go >/dev/null 2>&1 || die "Go is not installed (this project needs Go 1.26)"
go_build bin ./cmd/pledged ./cmd/pledgectl || die "the build failed (see the compiler messages above)"
log "built bin/pledged and bin/pledgectl: $(bin/pledged --version)"
