# recompute.sh SEED POPULATION.tsv "A=5 B=20 C=15 D=20"
# Recomputes a published draw with standard tools only (bash, openssl 3,
# sort, head): prints "population <digest>", then "<rank> <pledge id>" for
# every selected pledge. The quotas are published in the draw record
# (tierQuotas); docs/enforcement.md explains the floor top-up.
set -euo pipefail
SEED=$1 POP=$2 QUOTAS=$3
export LC_ALL=C
echo "population $(sort "$POP" | openssl dgst -sm3 -r | cut -d' ' -f1)"
for q in $QUOTAS; do
	TIER=${q%%=*} N=${q#*=}
	[ "$N" -gt 0 ] || continue
	awk -F'\t' -v t="$TIER" '$2 == t { print $1 }' "$POP" | while read -r ID; do
		printf '%s %s\n' "$(printf '%s' "$SEED$ID" | openssl dgst -sm3 -r | cut -d' ' -f1)" "$ID"
	done | sort | head -n "$N"
done
