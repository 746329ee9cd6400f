#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): set up everything, check style and types, run the tests.
# The tests start the real local Kafka broker and registry themselves (`hub infra`), once per session.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
for extra in scripts/ci-prometheus.sh scripts/ci-helm-tools.sh scripts/ci-compose.sh scripts/ci-browser.sh; do
  if [ -f "$extra" ]; then bash "$extra"; fi
done
# the tests use the public development pseudonym key, which the hub refuses unless HUB_ENV=dev
export HUB_ENV=dev
export PATH="$HOME/go/bin:/usr/local/go/bin:$PATH"

echo "== ruff"
.venv/bin/ruff check hub agents connectors tests bench
.venv/bin/ruff format --check hub agents connectors
echo "== mypy"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== schemas"
.venv/bin/hub schemas check
echo "== pytest"
status=0
.venv/bin/pytest -p no:cacheprovider "$@" || status=$?
.venv/bin/hub infra down >/dev/null 2>&1 || true
exit $status
