#!/usr/bin/env bash
# scripts/dist.sh — `make dist`: versioned release artefacts in dist/ (or
# $DIST_DIR):
#   pledgeseal_VERSION_linux_ARCH.tar.gz  both static binaries, the systemd
#                                         unit, the example configuration,
#                                         LICENSE, README, CHANGELOG, docs
#   pledgeseal_DEBVERSION_ARCH.deb        the same as a Debian package
#                                         (goreleaser's nfpm, pinned below)
#   SHA256SUMS
# VERSION defaults to `git describe --always --dirty`; GOARCH to the host's.
# The binaries are static (CGO_ENABLED=0), built with -trimpath and the
# version stamped with -ldflags; archives are reproducible for a given
# commit (sorted, numeric root ownership, mtime = the commit's time).
set -euo pipefail
SCRIPT_NAME="make dist"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# nfpm runs with `go run` at a pinned version: nothing of it enters go.mod.
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0

command -v go >/dev/null 2>&1 || die "Go is not installed (this project needs Go 1.26)"
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo unknown)}
[[ "$VERSION" =~ ^[A-Za-z0-9][A-Za-z0-9.+~_-]*$ ]] || die "VERSION=$VERSION: use letters, digits and . + ~ _ -"
GOARCH=${GOARCH:-$(go env GOARCH)}
OUT=${DIST_DIR:-$ROOT/dist}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

# Debian versions must start with a digit: v1.2.3-4-gabc → 1.2.3-4-gabc,
# a bare commit (no tag yet) abc123-dirty → 0.0.0~gitabc123.dirty.
DEB_VERSION=${VERSION#v}
if ! [[ "$DEB_VERSION" =~ ^[0-9] ]]; then
	DEB_VERSION="0.0.0~git${DEB_VERSION//-/.}"
fi

BUILD="$OUT/build/linux_$GOARCH"
mkdir -p "$BUILD"
log "building pledged and pledgectl $VERSION for linux/$GOARCH (static)"
CGO_ENABLED=0 GOOS=linux GOARCH=$GOARCH go build -trimpath -buildvcs=auto \
	-ldflags "-s -w $(PLEDGESEAL_VERSION=$VERSION build_ldflags)" \
	-o "$BUILD/" ./cmd/pledged ./cmd/pledgectl

name="pledgeseal_${VERSION}_linux_${GOARCH}"
stage="$OUT/stage/$name"
rm -rf "$OUT/stage"
mkdir -p "$stage/bin" "$stage/deploy" "$stage/docs"
cp "$BUILD/pledged" "$BUILD/pledgectl" "$stage/bin/"
cp deploy/pledged.service deploy/pledged.env.example deploy/sysusers.conf "$stage/deploy/"
cp LICENSE README.md CHANGELOG.md "$stage/"
cp docs/operations.md "$stage/docs/"
tarball="$OUT/$name.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	-C "$OUT/stage" -cf - "$name" | gzip -n -6 >"$tarball"
log "wrote $tarball"

conf="$OUT/nfpm.yaml"
sed -e "s|@VERSION@|$DEB_VERSION|g" -e "s|@ARCH@|$GOARCH|g" -e "s|@BUILD@|$BUILD|g" deploy/nfpm.yaml >"$conf"
deb="$OUT/pledgeseal_${DEB_VERSION}_${GOARCH}.deb"
log "packaging $deb with nfpm (go run $NFPM)"
GOFLAGS= go run "$NFPM" package --config "$conf" --packager deb --target "$deb" >&2
log "wrote $deb"

(cd "$OUT" && sha256sum "$name.tar.gz" "$(basename "$deb")" >SHA256SUMS)
rm -rf "$OUT/stage" "$conf"
echo "$tarball"
echo "$deb"
