"""On a short scaled step, DynamoDB throttling starts and auto scaling acts when the rules say.

The system has 40 WCU and target tracking at 70 % with its datapoint, metric delay and actuation
delay shortened to 10 s, 5 s and 5 s (the same rules on a compressed clock; the real timing is
pinned by tests/unit/governor/test_governor_runtime.py). Events cost 1 WCU (item < 1 KB; the
table's own units: GSIs have their own capacity).

- 0-10 s at 20 events/s (20 WCU/s): credit 40 + 10 x (40 - 20) = 240 WCU at the step;
- 10-40 s at 120 events/s (120 WCU/s): the credit lasts 240 / (120 - 40) = 3 s, so throttling
  starts at t = 13 s;
- datapoints (10 s): [10, 20) 160 % and [20, 30) 100 % of 40 WCU are the two above 70 %; the
  alarm sees the second at t = 35 s (5 s metric delay) and UpdateTable takes effect at t = 40 s
  with ceil(consumed / 0.7) WCU, consumed being the last datapoint's (at most the 40 WCU/s
  provisioned: 58 WCU). On a loaded machine the load arrives less evenly; the rule is then
  judged on the datapoints the alarm saw, which must add up to the per-second counters.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import pytest

from scaling_lab.observe import collect_cloudwatch
from scaling_lab.system import AutoScaling, CapacitySettings, SdkConfig, load_system
from tests.integration.governor.gov_harness import (
    governed_stack,
    governor_doc,
    open_loop,
    start_run,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

TOLERANCE_S = 2.0


def _system():
    base = load_system("staging")
    write = CapacitySettings(
        provisioned=40,
        auto_scaling=AutoScaling(
            min=40,
            max=400,
            target_utilization_pct=70,
            datapoint_s=10,
            metric_delay_s=5,
            actuation_delay_s=5,
        ),
    )
    ddb = base.dynamodb.model_copy(
        update={"write": write, "read": CapacitySettings(provisioned=400)}
    )
    lam = base.lambda_.model_copy(update={"reserved_concurrency": 200})
    return base.model_copy(
        update={"dynamodb": ddb, "lambda_": lam, "sdk": SdkConfig(retry_mode="standard")}
    )


def test_throttling_onset_and_scale_out_happen_on_time():
    system = _system()
    with governed_stack(system, burst_credit_full=False) as stack:
        t0 = start_run(stack.url)
        open_loop(stack.url, stack.api_keys[0], lambda t: 20.0 if t < 10 else 120.0, 40.0)
        time.sleep(3)  # a last publish
        doc = governor_doc(stack.url)
        desc = stack.client("dynamodb").describe_table(TableName=system.dynamodb.table)
        cw = collect_cloudwatch(
            stack.client("cloudwatch"),
            system,
            datetime.fromtimestamp(t0, UTC),
            datetime.fromtimestamp(t0, UTC) + timedelta(seconds=45),
            period_s=1,
        )

    origin = int(t0)
    throttled = [s["epoch_s"] - t0 for s in doc["seconds"] if s.get("ddb_throttled")]
    assert throttled, "no DynamoDB throttling at all"
    onset = min(throttled)
    assert abs(onset - 13.0) <= TOLERANCE_S, f"throttling began at t={onset:.1f}s, expected 13s"

    # The first action is the one the step causes (a second one may follow from 50 s on, when
    # two more datapoints after it are above target: the load's retries run past 40 s).
    actions = [a for a in doc["scaling_actions"] if a["dimension"] == "wcu"]
    # The datapoints the alarm saw are the consumption the per-second counters show: each
    # period's sum within one second's consumption at either edge (the counters are epoch
    # seconds, the datapoints run time).
    seen = doc["scaling_datapoints"]["wcu"]
    per_s = {int(s["epoch_s"] - origin): s.get("ddb_consumed_wcu", 0.0) for s in doc["seconds"]}
    edge = max(per_s.values())
    for d in seen[:6]:
        lo, hi = int(d["start_t_s"]), int(d["end_t_s"])
        counted = sum(per_s.get(k, 0.0) for k in range(lo, hi))
        assert abs(d["consumed_per_s"] * 10.0 - counted) <= 2 * edge, (d, counted)
        assert d["seen_t_s"] == d["end_t_s"] + 5.0
    # The rule, on those datapoints: the alarm is in ALARM once two consecutive datapoints are
    # above 70 % of the 40 WCU in force; the policy acts when the second is seen, to consumed
    # over target; the table changes 5 s later. On an even load that is datapoints [10, 20) and
    # [20, 30), seen at 35 s.
    above = [d["consumed_per_s"] > 0.7 * 40 for d in seen]
    k_fire = next(k for k in range(1, len(above)) if above[k - 1] and above[k])
    assert actions, f"the alarm saw two datapoints above target at t={seen[k_fire]['seen_t_s']}s"
    action = actions[0]
    assert action["direction"] == "out"
    assert action["decided_t_s"] == seen[k_fire]["end_t_s"] + 5.0, (seen, action)
    assert action["effective_t_s"] == action["decided_t_s"] + 5.0
    eff = action["effective_t_s"]
    assert eff <= action["applied_t_s"] <= eff + TOLERANCE_S
    expected = min(400, max(40, math.ceil(seen[k_fire]["consumed_per_s"] / 0.7)))
    assert abs(action["to_units"] - expected) <= 1, (seen, action)  # doc rounds to 1/1000
    wcu = desc["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"]
    assert wcu in {int(a["to_units"]) for a in actions}  # DescribeTable shows what was set

    # CloudWatch shows the same story under AWS's names.
    prov = cw.series["ddb_provisioned_wcu"].points
    applied = origin + math.ceil(action["applied_t_s"]) + 1
    assert prov[origin + 20] == 40.0
    if applied in prov:  # the metrics cover the 45 s of the run
        assert prov[applied] == action["to_units"]
    cw_throttled = sorted(ts for ts, v in cw.series["ddb_throttled"].points.items() if v > 0)
    assert abs((cw_throttled[0] - origin) - onset) <= 1.0
