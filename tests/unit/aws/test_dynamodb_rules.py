"""Capacity arithmetic and limiters pinned to the documented DynamoDB numbers."""

from __future__ import annotations

from collections.abc import Callable

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


def test_a_first_second_burst_is_not_a_peak_to_double() -> None:
    """A new table (ceiling 100 units/s here) under 250/s: the one-second bucket starts full,
    so the first second serves up to twice the ceiling; the traffic the table accommodated is
    100/s, so 30 minutes later the instant ceiling is 2 x 100 = 200 (on-demand-capacity-mode
    .html: "up to double the previous peak traffic"), not twice the transient (~380)."""
    lim = OnDemandLimiter(100.0, partition_cap=1e9, peak_lag_s=1800.0)
    served = [sum(lim.take_up_to(sec + k / 10, 25.0) for k in range(10)) for sec in range(3)]
    assert served[0] > 150.0  # the full bucket plus a second's refill
    assert served[1:] == pytest.approx([100.0, 100.0])
    lim.take_up_to(1803.5, 0.0)
    assert lim.limit == 200.0
    later = [sum(lim.take_up_to(sec + k / 10, 50.0) for k in range(10)) for sec in (1804, 1805)]
    assert later[1] == pytest.approx(200.0)  # a steady second at the new ceiling


def _scaler(**kw: float) -> AutoScaler:
    settings = AutoScaling(
        min=100, max=10_000, target_utilization_pct=70, **{"metric_delay_s": 0.0, **kw}
    )
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


def test_the_alarm_sees_a_datapoint_only_after_the_metric_delay() -> None:
    """Datapoints [0, 60) and [60, 120) above target; the alarm sees the second at 120 + 45 s,
    UpdateTable takes effect 30 s later: in force at 195 s, not before."""
    s = _scaler(actuation_delay_s=30.0, metric_delay_s=45.0)
    _minute(s, 0.0, 90.0)
    _minute(s, 60.0, 90.0)
    s.advance(164.9)
    assert s.next_change_s() is None
    s.advance(165.0)
    assert s.next_change_s() == 195.0
    assert [d.seen_s for d in s.datapoints] == [105.0, 165.0]
    s.advance(194.9)
    assert s.provisioned == 100.0
    s.advance(195.0)
    assert s.provisioned == 129.0 and s.events[0].decided_s == 165.0


def test_while_the_alarm_stays_in_alarm_the_policy_acts_again_at_every_datapoint() -> None:
    """Auto Scaling actions repeat while the alarm stays in ALARM (CloudWatch alarm actions):
    with no metric or actuation delay, 100 WCU and consumption that keeps growing past each new
    capacity (90, 90, 150, 200 WCU/s), the policy acts at 120 s (two above), then again at
    180 s and 240 s, each time to ceil(consumed / 0.7): 129, 215, 286. Were the alarm re-armed
    after each action instead, the second action would wait for two fresh datapoints (240 s)."""
    s = _scaler(actuation_delay_s=0.0)
    for m, per_s in enumerate([90.0, 90.0, 150.0, 200.0]):
        _minute(s, 60.0 * m, per_s)
    assert [(e.decided_s, e.provisioned) for e in s.events] == [
        (120.0, 129.0),
        (180.0, 215.0),
        (240.0, 286.0),
    ]


def test_a_new_activity_waits_for_the_cooldown_after_the_last() -> None:
    s = _scaler(actuation_delay_s=0.0, scale_out_cooldown_s=90.0)
    for m, per_s in enumerate([90.0, 90.0, 150.0, 200.0]):
        _minute(s, 60.0 * m, per_s)
    # 120 s acts; 180 s is inside 120 + 90 s; 240 s acts on its datapoint (200 -> 286)
    assert [(e.decided_s, e.provisioned) for e in s.events] == [(120.0, 129.0), (240.0, 286.0)]


def test_scale_in_after_fifteen_datapoints_below_target_minus_20() -> None:
    settings = AutoScaling(min=100, max=10_000, actuation_delay_s=0.0, metric_delay_s=0.0)
    s = AutoScaler(settings, 1000.0)
    for m in range(14):
        _minute(s, 60.0 * m, 400.0)  # 40 % < 70 - 20
    assert s.provisioned == 1000.0
    _minute(s, 60.0 * 14, 400.0)
    assert s.provisioned == 572.0  # ceil(400 / 0.7)


def _shrinking(epoch_at_zero_s: float = 0.0) -> AutoScaler:
    settings = AutoScaling(
        min=1, max=1e6, actuation_delay_s=0.0, metric_delay_s=0.0, scale_in_datapoints=1
    )
    return AutoScaler(settings, 100_000.0, epoch_at_zero_s=epoch_at_zero_s)


def _decrease_times(s: AutoScaler, per_s: Callable[[int], float], minutes: int) -> list[float]:
    for m in range(minutes):
        _minute(s, 60.0 * m, per_s(m))
    return [e.effective_s for e in s.events if e.direction == "in"]


def test_four_decreases_any_time_then_one_an_hour_after_the_last() -> None:
    """DynamoDB allows 4 decreases a UTC day at any time, and one more whenever there was no
    decrease in the past hour (ServiceQuotas.html). From 00:00 UTC, consumption halves each
    minute for 4 minutes (each datapoint below 50 % of the capacity just set: 4 decreases, at
    60-240 s), then drops to 40 % every hour: the 5th decrease waits until an hour after the
    4th (3,840 s), the 6th an hour after that (7,440 s); a flat 27-a-day budget would have
    decreased at 300 s."""

    def per_s(m: int) -> float:
        return 10_000.0 * 0.5**m if m < 4 else 1250.0 * 0.4 ** (1 + (m - 4) // 60)

    got = _decrease_times(_shrinking(), per_s, 3 * 60)
    assert got == [60.0, 120.0, 180.0, 240.0, 3840.0, 7440.0]


def test_the_decrease_budget_starts_afresh_on_each_utc_day() -> None:
    """A run that starts at 23:50 UTC with consumption falling 40 % a minute spends its 4
    decreases by 23:54 and waits; at 00:00 the new day allows 4 more straight away."""
    got = _decrease_times(_shrinking(86_400.0 - 600.0), lambda m: 10_000.0 * 0.6**m, 16)
    assert got == [60.0, 120.0, 180.0, 240.0, 600.0, 660.0, 720.0, 780.0]


def test_the_payload_bound_of_scenarios_is_dynamodbs_item_limit() -> None:
    # scenario/models.py cannot import the rulebook (which depends on it): one number, kept so
    from scaling_lab.aws.dynamodb import DYNAMODB_MAX_ITEM_BYTES
    from scaling_lab.scenario.models import MAX_PAYLOAD_BYTES

    assert MAX_PAYLOAD_BYTES == DYNAMODB_MAX_ITEM_BYTES == 400 * 1024


def test_files_with_the_old_flat_decrease_budget_still_load() -> None:
    old_default = AutoScaling.model_validate({"min": 1, "max": 9, "scale_in_per_day": 27})
    assert (old_default.scale_in_anytime_per_day, old_default.scale_in_extra_after_s) == (4, 3600)
    two = AutoScaling.model_validate({"min": 1, "max": 9, "scale_in_per_day": 2})
    assert two.scale_in_anytime_per_day == 2
    s = AutoScaler(
        two.model_copy(
            update={
                "metric_delay_s": 0.0,
                "actuation_delay_s": 0.0,
                "scale_in_datapoints": 1,
                "max": 1e6,
            }
        ),
        100_000.0,
    )
    got = _decrease_times(s, lambda m: 10_000.0 * 0.6**m, 120)
    assert len(got) == 2  # two a day, no hourly extras
