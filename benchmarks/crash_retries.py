"""Crash drills: SIGKILL of the API under load with idempotent client retries, N times.

Each drill starts a fresh embedded stack, posts with one Idempotency-Key per request (retried
with the same key until answered), kills the API process with SIGKILL after 300 acceptances,
restarts it, posts 100 more and audits. Prints one line per drill and the totals; "NOT met"
when any drill lost an accepted event, left a stored one unqueued, or stored one twice.

    python benchmarks/crash_retries.py --runs 5
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "emulator"))

from crash_load import crash_drill  # noqa: E402

from emulator.stack import start_local_stack  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bad = 0
    for n in range(1, args.runs + 1):
        started = time.monotonic()
        with start_local_stack(backend="embedded", tenants=1) as stack:
            outcome = crash_drill(stack)
        fails = outcome.missing + outcome.not_enqueued + outcome.duplicate_stored
        bad += fails > 0 or outcome.retried == 0
        print(f"drill {n}: {asdict(outcome)} ({time.monotonic() - started:.0f} s)", flush=True)
    verdict = "met" if bad == 0 else "NOT met"
    print(f"{args.runs} drills, {bad} with a lost, unqueued or doubled event: {verdict}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
