#!/usr/bin/env bash
# Build the raftplane image offline, or say it is already up to date.
#
#   scripts/build-image.sh [--force]
#
# The base image, in this order:
#   1. $RAFTPLANE_BASE_IMAGE, when set (used as given; pulled if absent and pullable);
#   2. node:20-bookworm-slim, when present locally or when `docker pull` can fetch it;
#   3. otherwise the local base made from the host's Node.js (scripts/make-base-image.sh).
# The result is tagged $RAFTPLANE_IMAGE (default raftplane:latest) and labelled with a hash of
# its inputs (sources, lock file, Dockerfile) and the base image's id; a later run with the same
# inputs and base does nothing, so tests can call this before every run.
set -euo pipefail
cd "$(dirname "$0")/.."

force=false
case "${1:-}" in
  --force) force=true ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  "") ;;
  *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
esac

image="${RAFTPLANE_IMAGE:-raftplane:latest}"
official="node:20-bookworm-slim"
local_base="${RAFTPLANE_LOCAL_BASE_IMAGE:-raftplane-base:local}"

if ! docker info >/dev/null 2>&1; then
  echo "build-image: no Docker engine answers (docker info failed); start dockerd first (see .ci/docker.sh)" >&2
  exit 1
fi
if [ ! -d node_modules/typescript ] || [ ! -d node_modules/@grpc/grpc-js ]; then
  echo "build-image: node_modules is missing or incomplete; run 'npm install' first (the image build copies it)" >&2
  exit 1
fi

# One build at a time on this machine (test files may ask together); the second finds it done.
exec 9>"${TMPDIR:-/tmp}/raftplane-image-build.lock"
flock 9

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

try_pull() {
  echo "build-image: pulling $1"
  timeout 600 docker pull -q "$1" >/dev/null 2>&1
}

if [ -n "${RAFTPLANE_BASE_IMAGE:-}" ]; then
  base="$RAFTPLANE_BASE_IMAGE"
  if ! have_image "$base" && ! try_pull "$base"; then
    if [ "$base" = "$local_base" ]; then
      scripts/make-base-image.sh "$local_base"
    else
      echo "build-image: base image $base is neither present nor pullable" >&2
      exit 1
    fi
  fi
elif have_image "$official" || try_pull "$official"; then
  base="$official"
else
  echo "build-image: $official cannot be pulled (no registry reachable); using the local base $local_base"
  scripts/make-base-image.sh "$local_base"
  base="$local_base"
fi
base_id="$(docker image inspect -f '{{.Id}}' "$base")"

# What the image is made of. node_modules is covered by the lock file that installed it.
source_hash="$(
  find Dockerfile .dockerignore package.json package-lock.json tsconfig.json scripts/tsconfig.image.json \
    cmd internal proto -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-32
)"

label() { docker image inspect -f "{{index .Config.Labels \"$1\"}}" "$image" 2>/dev/null || true; }
if ! $force && [ "$(label dev.raftplane.source-hash)" = "$source_hash" ] && [ "$(label dev.raftplane.base-id)" = "$base_id" ]; then
  echo "build-image: $image is up to date (base $base)"
  exit 0
fi

echo "build-image: building $image on $base"
started=$(date +%s)
docker build \
  --build-arg "BASE_IMAGE=$base" \
  --label "dev.raftplane.source-hash=$source_hash" \
  --label "dev.raftplane.base-id=$base_id" \
  --label "dev.raftplane.base=$base" \
  -t "$image" . >"${TMPDIR:-/tmp}/raftplane-image-build.log" 2>&1 || {
  tail -40 "${TMPDIR:-/tmp}/raftplane-image-build.log" >&2
  echo "build-image: docker build failed; the whole log is ${TMPDIR:-/tmp}/raftplane-image-build.log" >&2
  exit 1
}
# The classic builder keeps the build stage as an untagged image; it is not needed again.
docker image prune -f --filter "label=dev.raftplane.stage=build" >/dev/null 2>&1 || true
echo "build-image: built $image on $base in $(($(date +%s) - started)) s"
