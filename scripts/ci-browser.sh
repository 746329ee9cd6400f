#!/usr/bin/env bash
# Install Debian's Chromium for the headless-browser test of the live board (tests/board/test_browser.py).
# Idempotent: does nothing when /usr/bin/chromium exists. Never runs `playwright install` (no browser
# downloads): the Python playwright package drives the distribution's Chromium.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ci-browser: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
/usr/bin/chromium --version
