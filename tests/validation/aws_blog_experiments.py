"""The AWS Database Blog's DynamoDB experiments ("Scaling DynamoDB", parts 1-3) through the model
(fast mode): ``python3 tests/validation/aws_blog_experiments.py``; docs/validation.md compares
the figures with AWS's."""

from __future__ import annotations

from typing import Any

import numpy as np
from rule_engines import model, rule_system, step_scenario

from scaling_lab.scenario.models import ArrivalProcess


def _ddb(**kw: Any) -> Any:
    return rule_system(
        dynamodb={"partition_wcu": 1000, "partition_rcu": 3000, **kw},
        sdk={"retry_mode": "legacy"},
    )


NEW_ON_DEMAND = {"mode": "on_demand", "on_demand_warm_wcu": 4000, "on_demand_warm_rcu": 12000}
PROVISIONED_10K = {
    "mode": "provisioned",
    "write": {"provisioned": 10000},
    "read": {"provisioned": 1000},
    "burst_window_s": 0,
}
CASES = [
    ("one key, new on-demand table, 4,000 writes/s offered", NEW_ON_DEMAND, {}, 4000.0),
    (
        "200 keys, new on-demand table, 5,000 writes/s offered",
        NEW_ON_DEMAND,
        {"tenants": 200},
        5000.0,
    ),
    (
        "200 keys, provisioned 10,000 WCU, 10,000 writes/s offered",
        PROVISIONED_10K,
        {"tenants": 200},
        10000.0,
    ),
]


def main() -> None:
    for name, ddb, keys, rate in CASES:
        sc = step_scenario([("60s", rate)], arrivals=ArrivalProcess.EVEN, keys=keys)
        w = model(sc, _ddb(**ddb), "fast").per_s["wcu"][3:60]
        lo, hi = np.min(w), np.max(w)
        print(f"{name}: served {np.mean(w):,.0f} writes/s (min {lo:,.0f}, max {hi:,.0f})")


if __name__ == "__main__":
    main()
