#!/usr/bin/env bash
# scripts/fuzz.sh — `make fuzz`: runs every native Go fuzz target of the
# module for FUZZTIME each (default 30s), one after the other. A crasher is
# kept by Go under the package's testdata/fuzz/ and fails this script.
# Arguments restrict it to some packages: scripts/fuzz.sh ./internal/trust/
set -euo pipefail
SCRIPT_NAME="make fuzz"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
FUZZTIME=${FUZZTIME:-30s}
failed=()
for pkg in $(go list "${@:-./...}"); do
	targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
	for t in $targets; do
		log "$pkg $t for $FUZZTIME"
		if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			failed+=("$pkg $t")
		fi
	done
done
if [ ${#failed[@]} -gt 0 ]; then
	log "fuzz targets that failed:"
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
log "all fuzz targets ran for $FUZZTIME without a failure"
