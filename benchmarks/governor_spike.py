"""Measure a scaled spike on the governed local stack (not a test; takes the scenario's length).

    python benchmarks/governor_spike.py --scenario spike --scale 0.02 --out runs

Starts the embedded stack with ``scale_system(system, k)`` and the governor, marks run time 0,
replays the scenario with k6 (scaling_lab.load), then reads the governor's CloudWatch metrics with
GetMetricData (scaling_lab.observe), merges them into the observed result, and prints a
10-second table: throughput, throttles, DynamoDB throttles and retries, WCU, concurrency.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, for tests.*

from scaling_lab.load.runner import run_load
from scaling_lab.observe import collect_cloudwatch, merge_into_result
from scaling_lab.result import save_result
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system
from scaling_lab.system.scaling import scale_system
from tests.integration.governor.gov_harness import governed_stack, governor_doc, start_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="spike")
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--out", default="runs")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    system = load_system(scenario.system)
    k = scenario.scale * args.scale
    sys_scaled = scale_system(system, k)
    with governed_stack(sys_scaled) as stack:
        t0 = start_run(stack.url, list(scenario.faults))
        run = run_load(
            scenario,
            system,
            target=stack.url,
            api_key=stack.api_keys[0],
            scale=args.scale,
            out_dir=Path(args.out),
            live=False,
        )
        time.sleep(3)  # let the governor publish its last seconds
        doc = governor_doc(stack.url)
        started = run.result.provenance.started_at
        end = started + timedelta(seconds=scenario.duration_s + 5)
        figures = collect_cloudwatch(
            stack.client("cloudwatch"),
            sys_scaled,
            started - timedelta(seconds=2),
            end,
            period_s=1,
            emulator=True,
        )
        table = stack.client("dynamodb").describe_table(TableName=sys_scaled.dynamodb.table)
        audit = stack.audit(None, wait_drain_s=30)
    merged = merge_into_result(run.result, figures)
    merged.summary.throttles_by_cause = doc["throttles_by_cause"] or None
    out = Path(args.out) / f"{merged.run_id}-with-cloudwatch.json"
    save_result(merged, out)
    print(
        f"run time 0 at {datetime.fromtimestamp(t0, UTC).isoformat()}; k6 started "
        f"{(started.timestamp() - t0):+.1f} s later; result {out}"
    )
    print(
        "DescribeTable:",
        table["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"],
        "WCU,",
        table["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"],
        "RCU",
    )
    print("scaling actions:", doc["scaling_actions"])
    print(
        "throttles by cause:",
        doc["throttles_by_cause"],
        "totals:",
        {k: round(v) for k, v in doc["totals"].items()},
    )
    print("audit:", audit.model_dump(exclude={"missing_ids", "not_enqueued_ids"}))
    s = merged.summary
    print(
        f"requests {s.requests} errors {s.errors} p95 {s.latency_ms.p95} ms "
        f"recovery_s {s.recovery_s} ddb_throttled {s.ddb_throttled} "
        f"max WCU {s.max_ddb_provisioned_wcu} max concurrency {s.max_lambda_concurrency}"
    )
    print(" t_s  offered  ok   429  5xx   p95ms  ddbThr retries  WCU   conc  consWCU")
    series = merged.series
    for a in range(0, len(series), 10):
        chunk = series[a : a + 10]

        def tot(attr: str, chunk: list = chunk) -> float:
            return sum(getattr(x, attr) or 0 for x in chunk)

        ok = sum((x.completed or 0) - (x.errors.total if x.errors else 0) for x in chunk)
        thr = sum(x.errors.throttled for x in chunk if x.errors)
        srv = sum(x.errors.server for x in chunk if x.errors)
        p95 = max((x.latency_ms.p95 or 0) for x in chunk)
        wcu = chunk[-1].ddb_provisioned_wcu
        conc = max((x.lambda_concurrency or 0) for x in chunk)
        print(
            f"{a:4d} {tot('offered'):8.0f} {ok:5d} {thr:5d} {srv:4d} {p95:7.0f} "
            f"{tot('ddb_throttled'):6.0f} {tot('ddb_retries'):6.0f} {wcu or 0:5.0f} "
            f"{conc:5.0f} {tot('ddb_consumed_wcu'):7.0f}"
        )


if __name__ == "__main__":
    main()
