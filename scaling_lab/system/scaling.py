"""``--scale k``: multiply every rate and capacity by k and keep durations real.

With arrival rates scaled by k, concurrency needed (rate x service time, Little's law) scales by k
too, so concurrency caps, the scaling-rate bucket, the front door bucket and DynamoDB capacities
are all multiplied by k; service times, cold starts, windows and delays are not.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaling_lab.system.models import (
        CapacitySettings,
        LambdaConfig,
        SystemConfig,
        WarmThroughput,
    )

__all__ = ["scale_count", "scale_system"]


def scale_count(n: int, k: float) -> int:
    """Scale an integer capacity; never below 1 when it was positive."""
    if n <= 0:
        return n
    return max(1, math.floor(n * k + 0.5))


def _cap(c: CapacitySettings | None, k: float) -> CapacitySettings | None:
    if c is None:
        return None
    upd: dict[str, object] = {"provisioned": c.provisioned * k}
    if c.auto_scaling is not None:
        upd["auto_scaling"] = c.auto_scaling.model_copy(
            update={"min": c.auto_scaling.min * k, "max": c.auto_scaling.max * k}
        )
    return c.model_copy(update=upd)


def _warm(w: WarmThroughput | None, k: float) -> WarmThroughput | None:
    if w is None:
        return None
    return w.model_copy(
        update={
            "write_units_per_s": w.write_units_per_s * k,
            "read_units_per_s": w.read_units_per_s * k,
        }
    )


def _unreserved(lam: LambdaConfig, k: float) -> int:
    """Scaled unreserved minimum; rounding never makes a valid file invalid once scaled."""
    floor = math.floor(lam.unreserved_min * k)
    if lam.reserved_concurrency is None:
        return floor
    gap = scale_count(lam.account_concurrency, k) - scale_count(lam.reserved_concurrency, k)
    return max(0, min(floor, gap))


def scale_system(system: SystemConfig, k: float) -> SystemConfig:
    if k <= 0:
        raise ValueError(f"scale must be > 0, got {k}")
    if k == 1:
        return system
    lam = system.lambda_
    scaling = lam.scaling.model_copy(
        update={
            "envs_per_interval": scale_count(lam.scaling.envs_per_interval, k),
            "legacy_initial_burst": scale_count(lam.scaling.legacy_initial_burst, k),
            "legacy_per_minute": scale_count(lam.scaling.legacy_per_minute, k),
        }
    )
    new_lambda = lam.model_copy(
        update={
            "account_concurrency": scale_count(lam.account_concurrency, k),
            "reserved_concurrency": None
            if lam.reserved_concurrency is None
            else scale_count(lam.reserved_concurrency, k),
            "provisioned_concurrency": scale_count(lam.provisioned_concurrency, k),
            "unreserved_min": _unreserved(lam, k),
            "scaling": scaling,
        }
    )
    fd = system.front_door.model_copy(
        update={
            "rate_per_s": system.front_door.rate_per_s * k,
            "burst": scale_count(system.front_door.burst, k),
        }
    )
    ddb = system.dynamodb
    new_ddb = ddb.model_copy(
        update={
            "write": _cap(ddb.write, k),
            "read": _cap(ddb.read, k),
            "warm_throughput": _warm(ddb.warm_throughput, k),
            "gsis": [
                g.model_copy(
                    update={
                        "write": _cap(g.write, k),
                        "warm_throughput": _warm(g.warm_throughput, k),
                    }
                )
                for g in ddb.gsis
            ],
            "partition_wcu": ddb.partition_wcu * k,
            "partition_rcu": ddb.partition_rcu * k,
            "on_demand_warm_wcu": ddb.on_demand_warm_wcu * k,
            "on_demand_warm_rcu": ddb.on_demand_warm_rcu * k,
            "on_demand_table_max_units": ddb.on_demand_table_max_units * k,
        }
    )
    cons = system.sqs.consumer
    new_sqs = system.sqs.model_copy(
        update={
            "consumer": cons.model_copy(
                update={
                    "scale_per_minute": scale_count(cons.scale_per_minute, k),
                    "max_concurrency": scale_count(cons.max_concurrency, k),
                    "initial_pollers": scale_count(cons.initial_pollers, k),
                }
            )
        }
    )
    return system.model_copy(
        update={"lambda_": new_lambda, "front_door": fd, "dynamodb": new_ddb, "sqs": new_sqs}
    )
