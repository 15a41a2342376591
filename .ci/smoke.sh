#!/usr/bin/env bash
# The smoke test of every push and pull request (.github/workflows/performance-tests.yml runs
# exactly this file, and so does .ci/run): the smoke scenario against the embedded local stack
# (loopback only), then the `check` gate with JUnit XML. Results land in ${SMOKE_OUT:-runs/smoke}.
# Exit codes are scaling-lab's: 0 pass, 99 thresholds failed, 2 input, 3 environment.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${SMOKE_OUT:-runs/smoke}"
mkdir -p "$out"
export SCALING_LAB_NO_HISTORY=1
python3 -m scaling_lab.cli.main run smoke --target local --scale "${SMOKE_SCALE:-1}" \
    --out "$out" --no-live
result="$(ls -t "$out"/*.json | head -1)"
python3 -m scaling_lab.cli.main check "$result" --junit "$out/junit.xml"
