"""UpdateTable calls of the governor: provisioned mode at start, auto-scaling changes after."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["set_table_capacity"]


def _units(v: float) -> int:
    # Provisioned throughput is a whole number of units, at least 1.
    return max(1, math.ceil(v - 1e-9))


def set_table_capacity(
    ddb: Any, desc: dict[str, Any], wcu: float, rcu: float, switch: bool
) -> None:
    """Set the table described by ``desc`` to ``wcu``/``rcu`` (no call when already so).

    ``switch``: the table is on-demand; make it PROVISIONED, which also needs every global
    secondary index's throughput -- https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
    """
    throughput = {"ReadCapacityUnits": _units(rcu), "WriteCapacityUnits": _units(wcu)}
    current = desc.get("ProvisionedThroughput", {})
    if not switch and all(current.get(k) == v for k, v in throughput.items()):
        return
    args: dict[str, Any] = {"TableName": desc["TableName"], "ProvisionedThroughput": throughput}
    if switch:
        args["BillingMode"] = "PROVISIONED"
        # ASSUMPTION: the indexes are provisioned like the table (the system file gives one
        # capacity for table and index writes together, see docs/emulation.md).
        args["GlobalSecondaryIndexUpdates"] = [
            {"Update": {"IndexName": i["IndexName"], "ProvisionedThroughput": throughput}}
            for i in desc.get("GlobalSecondaryIndexes", [])
        ]
    ddb.update_table(**args)
