#!/usr/bin/env bash
# Make a local Node.js base image from this machine's own Node.js runtime, for machines that
# cannot pull node:20-bookworm-slim (no container registry reachable).
#
# The image holds the host's `node` binary, npm, the shared libraries they (and the native
# addons in node_modules) link against as `ldd` lists them, a POSIX shell and the few
# coreutils a Dockerfile's RUN steps use, plus /etc/passwd with root and `node` (uid 1000),
# laid out like the official image: node in /usr/local/bin, npm in /usr/local/lib/node_modules.
# It is made with `docker import` from a directory tree: no registry, no network.
#
#   scripts/make-base-image.sh [--force] [TAG]     TAG defaults to raftplane-base:local
#
# Idempotent: an image already made from the same node binary is kept unless --force.
set -euo pipefail

force=false
tag=""
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "make-base-image: unknown option $arg" >&2; exit 2 ;;
    *) tag="$arg" ;;
  esac
done
tag="${tag:-${RAFTPLANE_LOCAL_BASE_IMAGE:-raftplane-base:local}}"
repo_root="$(cd "$(dirname "$0")/.." && pwd)"

node_bin="$(readlink -f "$(command -v node)")"
node_version="$(node --version)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "make-base-image: the host's Node.js is $node_version; raftplane needs 20 or newer" >&2
  exit 1
fi
node_sum="$(sha256sum "$node_bin" | cut -c1-16)"

if ! $force && [ "$(docker image inspect -f '{{index .Config.Labels "dev.raftplane.node-sha256"}}' "$tag" 2>/dev/null)" = "$node_sum" ]; then
  echo "make-base-image: $tag already holds this host's node $node_version"
  exit 0
fi

npm_dir=""
if command -v npm >/dev/null 2>&1; then
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
fi
if [ -z "$npm_dir" ] || [ ! -f "$npm_dir/bin/npm-cli.js" ]; then
  echo "make-base-image: npm not found next to node; the image build's prune step needs it" >&2
  exit 1
fi

work="$(mktemp -d /tmp/raftplane-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

# Debian's merged /usr: /bin, /lib, /lib64 and /sbin are links into /usr, so a library that
# ldd names as /lib/x86_64-linux-gnu/libc.so.6 lands in /usr/lib and is found by either path.
mkdir -p "$root"/usr/{bin,sbin,lib,local/bin,local/lib/node_modules} "$root"/{etc,tmp,root,home/node,var/tmp}
for d in bin lib sbin; do ln -s "usr/$d" "$root/$d"; done
if [ -d /lib64 ]; then mkdir -p "$root/usr/lib64" && ln -s usr/lib64 "$root/lib64"; fi
chmod 1777 "$root/tmp" "$root/var/tmp"

# Copy an executable or shared object with every library ldd says it needs, at the same paths.
copy_with_libs() {
  local file="$1" dest="$2" lib
  install -D -m 0755 "$file" "$root$dest"
  while read -r lib; do
    [ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
  done < <(ldd "$file" 2>/dev/null | grep -o '/[^ ]*' | grep -v ':$' || true)
}

copy_with_libs "$node_bin" /usr/local/bin/node
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# A shell for RUN steps and `docker exec`, and the coreutils those steps use.
copy_with_libs "$(readlink -f "$(type -P dash)")" /usr/bin/dash
ln -s dash "$root/usr/bin/sh"
for tool in env cat cp mv rm ln ls mkdir chmod chown id sleep true false; do
  copy_with_libs "$(readlink -f "$(type -P "$tool")")" "/usr/bin/$tool"
done

# Native addons in the project's node_modules (classic-level's LevelDB binding) link against
# libraries node itself may not need; bring those too.
if [ -d "$repo_root/node_modules" ]; then
  while IFS= read -r addon; do
    while read -r lib; do
      [ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
    done < <(ldd "$addon" 2>/dev/null | grep -o '/[^ ]*' | grep -v ':$' || true)
  done < <(find "$repo_root/node_modules" -name '*.node' -path '*linux*' ! -name '*musl*' 2>/dev/null)
fi

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

# Everything belongs to root except the node user's home, as in the official image.
tar -C "$root" --numeric-owner --owner=0 --group=0 --exclude=./home/node -cf "$work/rootfs.tar" .
tar -C "$root" --numeric-owner --owner=1000 --group=1000 -rf "$work/rootfs.tar" ./home/node

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "LABEL dev.raftplane.node-sha256=$node_sum" \
  --change "LABEL org.opencontainers.image.description=\"raftplane local base: the host's Node.js $node_version and its libraries\"" \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$tag" >/dev/null

docker run --rm "$tag" node -e 'process.stdout.write(`base image check: node ${process.version} runs\n`)'
echo "make-base-image: made $tag from $node_bin ($node_version)"
