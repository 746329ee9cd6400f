#!/usr/bin/env bash
# Install docker-compose (Debian package, Compose v1.29) unless it is already on PATH.
#
# Only `docker-compose config` is used (tests/ops/test_compose.py): it parses, interpolates and
# validates docker-compose.yml without talking to a Docker engine, so nothing here needs one.
# Debian 12 has no `docker compose` v2 plugin package; the v1 `docker-compose` command is what
# works here. The package pulls no service of its own (docker.io is only recommended, and
# --no-install-recommends skips it).
#
# Measured on this project's machine (Debian 12, 2 CPUs): 52s including apt-get update.
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1; then
  echo "ci-compose: docker-compose present ($(command -v docker-compose)), skipping"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "ci-compose: need root or sudo to apt-get install" >&2; exit 1; }
  sudo="sudo"
fi

start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
install() { $sudo apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
# refresh the package index only when needed (none yet, or stale and the install fails)
if ! apt-cache show docker-compose >/dev/null 2>&1 || ! install; then
  $sudo apt-get update -qq
  install
fi
echo "ci-compose: $(docker-compose version --short 2>/dev/null || echo docker-compose) installed in $(( $(date +%s) - start ))s"
