#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: system prerequisites (Java 17+, Maven) and the virtual environment
# at .venv/ with the hub installed (editable) and its dev extras. Safe to run again; quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ci-prereqs.sh

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "error: Python 3.11+ is needed ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev,report]"
  touch "$stamp"
fi
