#!/usr/bin/env bash
# scripts/image.sh — builds the container image from deploy/Containerfile
# with the first builder that works here: podman, buildah, or docker with a
# running engine. Where none exists it says so and exits 0 (nothing to test);
# with PLEDGESEAL_IMAGE_REQUIRE=1 it fails instead.
#
#   bash scripts/image.sh [TAG]     (default pledgeseal:$VERSION)
set -euo pipefail
SCRIPT_NAME="image"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}
TAG=${1:-pledgeseal:$VERSION}

builder=""
if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
	builder="podman build"
elif command -v buildah >/dev/null 2>&1 && buildah info >/dev/null 2>&1; then
	builder="buildah bud"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	builder="docker build"
fi
if [ -z "$builder" ]; then
	found=""
	for b in podman buildah docker; do
		command -v "$b" >/dev/null 2>&1 && found+=" $b"
	done
	msg="no container builder with a running engine here (installed:${found:- none}); image not built"
	if [ "${PLEDGESEAL_IMAGE_REQUIRE:-}" = 1 ]; then
		die "$msg"
	fi
	log "$msg"
	echo "SKIPPED: $msg"
	exit 0
fi
log "$builder -f deploy/Containerfile -t $TAG (VERSION=$VERSION)"
$builder -f deploy/Containerfile --build-arg "VERSION=$VERSION" -t "$TAG" .
echo "BUILT: $TAG"
