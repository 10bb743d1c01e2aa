#!/usr/bin/env bash
# scripts/linecount.sh — production lines (non-test .go files) per package
# directory under internal/ and cmd/, at two commits, as a Markdown table of
# the packages that differ, with the totals. Reads the commits' trees with
# git (no checkout), so the work tree is left alone.
#
#   bash scripts/linecount.sh 5fe2084 HEAD
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ $# -eq 2 ] || { echo "usage: $0 OLD NEW" >&2; exit 2; }

# count REV: "dir lines" for every package directory with production Go files.
count() {
	git ls-tree -r --name-only "$1" -- internal cmd |
		grep '\.go$' | grep -v '_test\.go$' |
		while read -r f; do
			printf '%s %s\n' "$(dirname "$f")" "$(git show "$1:$f" | wc -l)"
		done |
		awk '{n[$1] += $2} END {for (d in n) print d, n[d]}' | sort
}

old=$(count "$1")
new=$(count "$2")
echo "| package | \`$1\` | \`$2\` | change |"
echo "|---|---:|---:|---:|"
join -a1 -a2 -e0 -o 0,1.2,2.2 <(echo "$old") <(echo "$new") |
	awk '$2 != $3 {printf "| `%s` | %d | %d | %+d |\n", $1, $2, $3, $3 - $2}'
join -a1 -a2 -e0 -o 0,1.2,2.2 <(echo "$old") <(echo "$new") |
	awk '{a += $2; b += $3} END {printf "| **total** (all packages) | %d | %d | %+d |\n", a, b, b - a}'
