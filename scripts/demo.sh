#!/usr/bin/env bash
# The README's main-job command: set up everything, then run the whole hub on a synthetic region.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/hub demo "$@"
