#!/usr/bin/env bash
# The README's main-job command: set up everything, then run the whole hub on a synthetic region.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# the demo runs on the public development pseudonym key, which the hub refuses unless HUB_ENV=dev
export HUB_ENV="${HUB_ENV:-dev}"
exec .venv/bin/hub demo "$@"
