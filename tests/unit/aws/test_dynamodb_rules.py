"""Capacity arithmetic and limiters pinned to the documented DynamoDB numbers."""

from __future__ import annotations

import pytest

from scaling_lab.aws.dynamodb import (
    AutoScaler,
    BurstBucket,
    OnDemandLimiter,
    TokenBucket,
    read_units,
    update_units,
    write_units,
)
from scaling_lab.system.models import AutoScaling, GsiConfig

ALL = GsiConfig(name="status-index", projection="all")


@pytest.mark.parametrize(("nbytes", "units"), [(1, 1), (720, 1), (1024, 1), (1025, 2), (4096, 4)])
def test_write_unit_per_started_kilobyte(nbytes: int, units: int) -> None:
    assert write_units(nbytes) == units


def test_gsi_with_projection_all_doubles_the_write() -> None:
    assert write_units(1020, [ALL]) == 2
    assert write_units(1500, [ALL]) == 4


def test_keys_only_index_costs_one_unit() -> None:
    assert write_units(3000, [GsiConfig(name="k", projection="keys_only")]) == 3 + 1


def test_update_that_moves_the_index_key_writes_the_index_twice() -> None:
    assert update_units(900, [ALL]) == 1 + 2
    assert update_units(900, [ALL], changes_index_key=False) == 2


def test_read_units_per_started_4kb_halved_when_eventually_consistent() -> None:
    # a 50-item inbox page of 940-byte items: 47,000 bytes -> 12 units of 4 KB
    assert read_units(50 * 940, eventually_consistent=False) == 12
    assert read_units(50 * 940) == 6.0
    assert read_units(4096) == 0.5
    assert read_units(4097) == 1.0


def test_token_bucket_refills_continuously_and_caps() -> None:
    b = TokenBucket(100.0, 1000.0)
    assert b.take_up_to(0.0, 5000) == 1000
    assert not b.try_take(0.005, 1)
    assert b.try_take(0.01, 1)
    b.refill(1000.0)
    assert b.tokens == 1000.0  # unused allowance does not accumulate beyond the capacity


def test_token_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(1.0, 0.0)
    with pytest.raises(ValueError):
        TokenBucket(-1.0, 1.0)


def test_burst_credit_holds_300_seconds_of_unused_capacity() -> None:
    b = BurstBucket(100.0, window_s=300.0, partition_cap=1e9)
    assert b.take_up_to(0.0, 1e9) == 30_000  # 300 s x 100 WCU
    assert b.take_up_to(1.0, 1e9) == pytest.approx(100.0)


def test_partition_cap_limits_a_second_even_with_credit() -> None:
    b = BurstBucket(5000.0, window_s=300.0, partition_cap=2 * 1000.0)
    assert b.take_up_to(0.0, 1e9) == 2000.0
    assert b.take_up_to(0.5, 1e9) == pytest.approx(1000.0)


def test_on_demand_serves_warm_throughput_then_double_the_old_peak() -> None:
    lim = OnDemandLimiter(4000.0, partition_cap=1e9, peak_lag_s=1800.0)
    assert lim.limit == 4000.0
    for sec in range(3):
        lim.take_up_to(float(sec), 3500.0)
    lim.take_up_to(1803.5, 0.0)
    assert lim.limit == 7000.0  # 2 x the peak seen 30 minutes ago


def _scaler(**kw: float) -> AutoScaler:
    settings = AutoScaling(min=100, max=10_000, target_utilization_pct=70, **kw)
    return AutoScaler(settings, 100.0)


def _minute(s: AutoScaler, start_s: float, per_s: float) -> None:
    s.consume(per_s * 60.0)
    s.advance(start_s + 60.0)


def test_scale_out_after_two_datapoints_above_target_to_consumed_over_target() -> None:
    s = _scaler(actuation_delay_s=30.0)
    _minute(s, 0.0, 90.0)
    assert s.provisioned == 100.0  # one datapoint is not enough
    _minute(s, 60.0, 90.0)
    assert s.provisioned == 100.0 and s.next_change_s() == 150.0
    s.advance(149.9)
    assert s.provisioned == 100.0
    s.advance(150.0)
    assert s.provisioned == 129.0  # ceil(90 / 0.7)


def test_scale_in_after_fifteen_datapoints_below_target_minus_20() -> None:
    settings = AutoScaling(min=100, max=10_000, actuation_delay_s=0.0)
    s = AutoScaler(settings, 1000.0)
    for m in range(14):
        _minute(s, 60.0 * m, 400.0)  # 40 % < 70 - 20
    assert s.provisioned == 1000.0
    _minute(s, 60.0 * 14, 400.0)
    assert s.provisioned == 572.0  # ceil(400 / 0.7)


def test_scale_in_stops_when_the_daily_budget_is_spent() -> None:
    settings = AutoScaling(
        min=1, max=10_000, actuation_delay_s=0.0, scale_in_datapoints=1, scale_in_per_day=2
    )
    s = AutoScaler(settings, 1000.0)
    for m in range(6):
        _minute(s, 60.0 * m, 1.0 * (10 - m))
    assert len([e for e in s.events if e.direction == "in"]) == 2


def test_the_payload_bound_of_scenarios_is_dynamodbs_item_limit() -> None:
    # scenario/models.py cannot import the rulebook (which depends on it): one number, kept so
    from scaling_lab.aws.dynamodb import DYNAMODB_MAX_ITEM_BYTES
    from scaling_lab.scenario.models import MAX_PAYLOAD_BYTES

    assert MAX_PAYLOAD_BYTES == DYNAMODB_MAX_ITEM_BYTES == 400 * 1024
