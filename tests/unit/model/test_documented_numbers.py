"""The model's defaults are AWS's documented numbers (sources in scaling_lab/system/models.py
and scaling_lab/aws/dynamodb.py)."""

from __future__ import annotations

import pytest

from scaling_lab.aws.dynamodb import READ_UNIT_BYTES, WRITE_UNIT_BYTES, BurstBucket
from scaling_lab.model.world import World
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig


def world(system: dict[str, object]) -> World:
    sc = Scenario.model_validate(
        {"name": "d", "traffic": {"stages": [{"duration": "1s", "target": 1}]}}
    )
    return World(sc, SystemConfig.model_validate({"name": "d", **system}))


def test_lambda_defaults() -> None:
    w = world({})
    assert w.lam.cap == 1000  # default account concurrency
    assert w.lam.scaling.capacity == 1000  # 1,000 environments ...
    assert w.lam.scaling.rate_per_s == pytest.approx(100.0)  # ... per 10 seconds
    assert w.lam.rps.rate_per_s == 10_000  # 10 requests/s per environment of the cap
    assert w.front_door is None  # Function URL: no throttle of its own


def test_api_gateway_account_bucket() -> None:
    w = world({"front_door": {"kind": "api_gateway"}})
    assert w.front_door is not None
    assert (w.front_door.rate_per_s, w.front_door.capacity) == (10_000, 5_000)


def test_dynamodb_units_partitions_burst_and_on_demand() -> None:
    assert (WRITE_UNIT_BYTES, READ_UNIT_BYTES) == (1024, 4096)
    w = world(
        {
            "dynamodb": {
                "mode": "provisioned",
                "write": {"provisioned": 100},
                "read": {"provisioned": 100},
                "partitions": 2,
            }
        }
    )
    lim = w.write_pool.limiter
    assert isinstance(lim, BurstBucket)
    assert lim.credit.capacity == 100 * 300  # 300 s of unused capacity
    assert lim.partition.rate_per_s == 2 * 1000  # 1,000 WCU per partition
    rlim = w.read_pool.limiter
    assert isinstance(rlim, BurstBucket) and rlim.partition.rate_per_s == 2 * 3000
    od = world({})
    assert od.write_pool.limiter.available(0.0) == 4000  # new on-demand table: 4,000 writes/s
    assert od.read_pool.limiter.available(0.0) == 12000  # and 12,000 reads/s


def test_auto_scaling_and_sqs_defaults() -> None:
    w = world(
        {
            "dynamodb": {
                "mode": "provisioned",
                "write": {"provisioned": 100, "auto_scaling": {"min": 1, "max": 9}},
                "read": {"provisioned": 100},
            }
        }
    )
    assert w.write_pool.scaler is not None
    s = w.write_pool.scaler.settings
    assert (s.target_utilization_pct, s.scale_out_datapoints, s.scale_in_datapoints) == (70, 2, 15)
    assert (s.scale_in_margin_pct, s.datapoint_s) == (20, 60)
    assert (s.scale_in_anytime_per_day, s.scale_in_extra_after_s) == (4, 3600)
    assert (s.scale_out_cooldown_s, s.scale_in_cooldown_s) == (0, 0)
    assert (w.sqs.initial, w.sqs.per_s * 60) == (5, 300)
    assert w.system.sqs.consumer.max_concurrency == 1250
    assert w.sqs.max == 1000  # the default account's 1,000 is all the consumer can have
