#!/usr/bin/env bash
# Make a Docker engine answer and build the raftplane images, for the container and chaos
# tests that `npm test` runs. Idempotent: what is already there is used as it is.
#
#   1. iptables and nsenter (the chaos library partitions containers with them) from Debian;
#   2. when no engine answers: Debian's docker.io, then dockerd started here in the background
#      (log: /var/log/raftplane-dockerd.log), overlay2 storage, vfs where overlay2 fails;
#   3. a compose command: the `docker compose` plugin, else Debian's docker-compose;
#   4. the images, offline: scripts/build-image.sh (node:20-bookworm-slim if it can be pulled,
#      else a base made from the host's Node.js).
#
# Needs root for the installs and for dockerd; needs node_modules (npm install) for step 4.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== docker: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
dockerd_log=/var/log/raftplane-dockerd.log
dockerd_pidfile=/var/run/raftplane-dockerd.pid

apt_updated=false
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! $apt_updated; then apt-get update -qq; apt_updated=true; fi
  apt-get install -y -qq --no-install-recommends "$@"
}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Start dockerd with one storage driver; true once the engine answers.
start_dockerd() {
  local driver="$1"
  echo "starting dockerd (storage driver $driver), log $dockerd_log"
  printf '\n=== %s: dockerd --storage-driver=%s\n' "$(date -u +%FT%TZ)" "$driver" >>"$dockerd_log"
  setsid nohup dockerd --storage-driver="$driver" >>"$dockerd_log" 2>&1 </dev/null &
  echo $! >"$dockerd_pidfile"
  for _ in $(seq 1 60); do
    if engine_answers; then return 0; fi
    if ! kill -0 "$(cat "$dockerd_pidfile")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "dockerd did not come up with $driver; last lines of its log:" >&2
  tail -15 "$dockerd_log" >&2
  if kill -0 "$(cat "$dockerd_pidfile")" 2>/dev/null; then
    kill "$(cat "$dockerd_pidfile")"
    for _ in $(seq 1 20); do kill -0 "$(cat "$dockerd_pidfile")" 2>/dev/null || break; sleep 0.5; done
  fi
  return 1
}

step "host tools: iptables, nsenter"
missing=()
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
iptables --version

step "engine"
if engine_answers; then
  echo "a Docker engine already answers"
else
  if ! command -v dockerd >/dev/null 2>&1; then apt_install docker.io; fi
  if [ -f "$dockerd_pidfile" ] && kill -0 "$(cat "$dockerd_pidfile")" 2>/dev/null; then
    echo "dockerd (pid $(cat "$dockerd_pidfile")) is running but does not answer; waiting"
    for _ in $(seq 1 30); do engine_answers && break; sleep 1; done
  fi
  if ! engine_answers; then
    start_dockerd overlay2 || start_dockerd vfs || {
      echo "no Docker engine could be started; see $dockerd_log" >&2
      exit 1
    }
  fi
fi
docker version --format 'client {{.Client.Version}}, engine {{.Server.Version}}'
docker info --format 'storage driver {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}'

step "compose"
if docker compose version >/dev/null 2>&1; then
  docker compose version
elif command -v docker-compose >/dev/null 2>&1; then
  docker-compose --version
else
  apt_install docker-compose
  docker-compose --version
fi

step "images (offline)"
scripts/build-image.sh
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^raftplane' || true
