"""Shared helpers for the model's statistical validation (replications and intervals)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import t as student_t

from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig


def interval_99(values: list[float]) -> tuple[float, float]:
    """99 % confidence interval of the mean of independent replication values."""
    arr = np.asarray(values, dtype=float)
    half = float(student_t.ppf(0.995, len(arr) - 1)) * float(arr.std(ddof=1)) / math.sqrt(len(arr))
    return float(arr.mean()) - half, float(arr.mean()) + half


def constant_scenario(rate_per_s: float, duration_s: float) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "theory",
            "traffic": {
                "start_rate": rate_per_s,
                "stages": [{"duration": f"{duration_s:g}s", "target": rate_per_s}],
            },
        }
    )


def queue_system(*, cap: int | None, mean_service_ms: float) -> SystemConfig:
    """Lambda as a pure M/M/c/c (or M/M/inf) loss system: no scaling-rate, request-rate,
    cold-start or DynamoDB limit, exponential service."""
    account = cap if cap is not None else 1_000_000
    return SystemConfig.model_validate(
        {
            "name": "theory",
            "lambda": {
                "account_concurrency": account,
                "scaling": {"envs_per_interval": 1_000_000, "interval_s": "1s"},
                "rps_per_environment": 1_000_000,
                "cold_start_ms": {"dist": "constant", "value_ms": 0},
                "service_time_ms": {
                    "post_events": {"dist": "exponential", "mean_ms": mean_service_ms}
                },
            },
            "dynamodb": {
                "mode": "on_demand",
                "on_demand_warm_wcu": 1e9,
                "partitions": 1,
                "partition_wcu": 1e9,
            },
        }
    )
