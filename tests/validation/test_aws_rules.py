"""Every AWS rule against the number its formula (or an independent source) gives, in every engine.

Each test builds a run in which only the rule under test can bind (tests/validation/
rule_engines.py), runs it in the model's fast and exact modes and, where the emulator applies
the rule, through the governor, and compares the outcome with a closed form stated in its
docstring. Inputs are non-round (73, 730/s, 0.59 s) so truncation and off-by-one errors show.
Tolerances are sampling noise (Poisson arrivals) or the engines' 1 ms resolution, never slack;
each is justified where it is set.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from rule_engines import (
    MODES,
    FakeDynamoDBAdmin,
    arrival_times,
    fluid_ramp_throttles,
    governor_lambda,
    governor_writes,
    model,
    rule_system,
    step_scenario,
    tenant_keys,
)

from scaling_lab.aws import DDB_THROTTLED_CALL_MS, ThrottleCause, ThrottleReason
from scaling_lab.aws.retry import (
    LEGACY_DYNAMODB_BASE_S,
    LEGACY_DYNAMODB_MAX_ATTEMPTS,
    STANDARD_MAX_ATTEMPTS,
)
from scaling_lab.model import erlang_b, simulate
from scaling_lab.scenario.models import ArrivalProcess, SizeRange

pytestmark = pytest.mark.validation

ENGINES = (*MODES, "governor")
EVEN = ArrivalProcess.EVEN


def _lambda_run(engine: str, scenario, system, service_s: float, seed: int = 7):
    if engine == "governor":
        return governor_lambda(system, arrival_times(scenario, seed), lambda _i: service_s)
    return model(scenario, system, engine, seed)


# -- Lambda scaling rate -----------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("rate", "service_s", "duration"),
    [(3650.0, 0.59, "15s"), (10_000.0, 0.2, "13s")],  # non-round; the issue's own case
)
def test_2023_scaling_ramp_beyond_the_first_1000_environments(engine, rate, service_s, duration):
    """2023 rule (scaling-behavior.html): 1,000 new environments at once, then 100 per second
    (1,000 per 10 s refilled continuously). A step to ``rate`` with constant service ``S``
    needs ``N = rate x S`` environments, reached at ``T = (N - 1,000) / 100``; until then the
    environments ``E(t) = 1,000 + 100 t`` serve ``E(t) / S`` per second, so the throttled
    count is ``rate T - (1,000 T + 100 T^2 / 2) / S`` (3,650/s x 0.59 s: 11,276; 10,000/s x
    0.2 s: 25,000). Tolerance 5 %: the fluid formula lets the first 1,000 environments
    serve from t = 0 and counts completions, while an environment is made when an arrival
    comes and admits a whole request at once; that discretisation moves the count by a few
    percent (measured: -1.3 % at 10,000 x 0.2, -3.8 % at 3,650 x 0.59, the same for Poisson
    and even arrivals), far less than the ~80 % error of a ramp that loses its refill."""
    need = rate * service_s
    system = rule_system(
        service_ms=service_s * 1000,
        **{
            "lambda": {
                "account_concurrency": math.ceil(need * 1.5),
                "scaling": {"envs_per_interval": 1000},
            }
        },
    )
    sc = step_scenario([(duration, rate)])
    out = _lambda_run(engine, sc, system, service_s)
    expected = fluid_ramp_throttles(rate, service_s, 1000.0, 100.0)
    assert set(out.causes) == {ThrottleCause.LAMBDA_SCALING_RATE}
    assert out.throttled == pytest.approx(expected, rel=0.05)
    # environments at the end of second 5: 1,000 + 100 x 6, all busy while the ramp lasts
    assert out.per_s["concurrency"][5] == pytest.approx(1600, abs=15)


@pytest.mark.parametrize("engine", ENGINES)
def test_legacy_scaling_ramp_is_the_burst_then_500_per_minute(engine):
    """Legacy rule (re:Post, AWS's answer): a bucket of new environments holding the burst
    (here 730) refilled at 500 per minute. Step to 1,300/s with S = 0.83 s: N = 1,079 reached
    at T = (1,079 - 730) / (500 / 60) = 41.9 s; throttled ``rate T - (730 T + r T^2/2) / S``
    = 8,806 with r = 8.33/s. Tolerance 5 % as above. Arrivals are evenly spaced, as the fluid
    answer assumes: Poisson arrivals throttle 3-5 % more on average (the excess of a Poisson
    count over the environments available is refused, its shortfall not banked)."""
    system = rule_system(
        service_ms=830,
        **{
            "lambda": {
                "account_concurrency": 2000,
                "scaling": {"rule": "legacy", "legacy_initial_burst": 730},
            }
        },
    )
    scenario = step_scenario([("46s", 1300.0)], arrivals=EVEN)
    out = _lambda_run(engine, scenario, system, 0.83)
    expected = fluid_ramp_throttles(1300.0, 0.83, 730.0, 500.0 / 60.0)
    assert set(out.causes) == {ThrottleCause.LAMBDA_SCALING_RATE}
    assert out.throttled == pytest.approx(expected, rel=0.05)


def _burst_at(n: float) -> tuple[str, float]:
    """``n`` requests within a few milliseconds (at the 1,000,000 req/s a file may ask for):
    "at the same time" next to a 50 ms service and a 500-per-minute refill."""
    ms = max(1, math.ceil(n / 1000.0))
    return (f"{ms}ms", n * 1000.0 / ms)


@pytest.mark.parametrize("engine", ENGINES)
def test_legacy_rule_reproduces_the_operator_guides_worked_example(engine):
    """Independent source: Lambda Operator Guide, "On-demand scaling example" (legacy rule,
    burst 3,000, account limit 10,000): 10,000 requests over 2 minutes, "all of the requests
    arrive at the same time in the minute they are scheduled": 3,000 handled and 2,000
    throttled in minute 1; "In minute 2, another 500 environments are created and the 3,000
    original environments are reused; 1,500 are throttled". Exact: 3,500 throttled."""
    system = rule_system(
        service_ms=50,
        **{
            "lambda": {
                "account_concurrency": 10_000,
                "scaling": {"rule": "legacy", "legacy_initial_burst": 3000},
            }
        },
    )
    sc = step_scenario(
        [_burst_at(5000), ("59.995s", 0.0), _burst_at(5000), ("1s", 0.0)], arrivals=EVEN
    )
    out = _lambda_run(engine, sc, system, 0.05)
    assert out.offered == 10_000
    assert dict(out.causes) == {ThrottleCause.LAMBDA_SCALING_RATE: 3500}
    assert out.cold == 3500


@pytest.mark.parametrize("engine", ENGINES)
def test_provisioned_concurrency_reproduces_the_operator_guides_example(engine):
    """Independent source: Lambda Operator Guide, "Provisioned Concurrency scaling example":
    with provisioned concurrency 7,000 and 10,000 requests at once, "7,000 requests are
    handled by the provisioned environments with no cold start. The remaining 3,000 requests
    are handled by new, on-demand execution environments" (legacy burst 3,000)."""
    system = rule_system(
        service_ms=50,
        **{
            "lambda": {
                "account_concurrency": 10_000,
                "provisioned_concurrency": 7000,
                "scaling": {"rule": "legacy", "legacy_initial_burst": 3000},
            }
        },
    )
    out = _lambda_run(
        engine, step_scenario([_burst_at(10_000), ("1s", 0.0)], arrivals=EVEN), system, 0.05
    )
    assert (out.offered, out.throttled, out.cold) == (10_000, 0, 3000)


@pytest.mark.parametrize("engine", ENGINES)
def test_provisioned_spillover_is_exactly_the_concurrency_beyond_it(engine):
    """Evenly spaced arrivals (k6) at 100/s with S = 0.605 s keep ``ceil(100 x 0.605)`` = 61
    invocations in flight; 37 provisioned environments serve the first 37 warm and exactly
    61 - 37 = 24 spill over to on-demand environments (one cold start each); every later
    arrival finds an environment freed 5 ms before it. Exact."""
    system = rule_system(
        service_ms=605,
        **{
            "lambda": {
                "account_concurrency": 1000,
                "reserved_concurrency": 100,
                "provisioned_concurrency": 37,
            }
        },
    )
    out = _lambda_run(engine, step_scenario([("9.3s", 100.0)], arrivals=EVEN), system, 0.605)
    assert out.throttled == 0
    assert out.cold == 24


# -- Lambda caps -------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_request_rate_cap_is_ten_times_reserved_concurrency(engine):
    """Requests per second are capped at 10 x concurrency (scaling-behavior.html), here
    reserved 73 -> 730/s; the cap is a bucket holding one second (ASSUMPTION in the rulebook).
    1,000/s for 30 s with 20 ms service (15 in flight, far below 73): admitted = 730 (the
    full bucket) + 730 x 30, throttled = offered - 22,630 (~7,370). Tolerance 0.3 %: the only
    slack is the bucket refilling during gaps of Poisson arrivals (a fraction of a token)."""
    system = rule_system(
        service_ms=20, **{"lambda": {"account_concurrency": 1000, "reserved_concurrency": 73}}
    )
    out = _lambda_run(engine, step_scenario([("30s", 1000.0)]), system, 0.02)
    assert set(out.causes) == {ThrottleCause.LAMBDA_REQUEST_RATE}
    assert out.throttled == pytest.approx(out.offered - 730 * 31, rel=0.003)


@pytest.mark.parametrize("engine", ENGINES)
def test_api_gateway_bucket_rate_and_burst(engine):
    """API Gateway's token bucket (api-gateway-request-throttling.html) at 730/s with a burst
    of 370; 1,300/s offered for 23 s: admitted = 370 + 730 x 23, throttled = offered -
    17,160 (~12,740). Tolerance 0.3 % (a fraction of a token, as above)."""
    system = rule_system(front_door={"kind": "api_gateway", "rate_per_s": 730, "burst": 370})
    out = _lambda_run(engine, step_scenario([("23s", 1300.0)]), system, 0.02)
    assert set(out.causes) == {ThrottleCause.FRONT_DOOR}
    assert out.throttled == pytest.approx(out.offered - (370 + 730 * 23), rel=0.003)


def _blocking(engine: str, seed: int, warmup_s: int = 20, duration_s: int = 150) -> float:
    """Fraction of arrivals throttled after the warm-up, one replication."""
    system = rule_system(
        service={"dist": "exponential", "mean_ms": 700},
        **{"lambda": {"account_concurrency": 1000, "reserved_concurrency": 73}},
    )
    if engine == "governor":
        rng = np.random.default_rng(seed)
        times = np.cumsum(rng.exponential(1 / 100.0, int(100 * duration_s * 1.1)))
        times = times[times < duration_s]
        services = rng.exponential(0.7, times.size)
        per_s = governor_lambda(system, times, lambda i: float(services[i])).per_s
    else:
        per_s = model(step_scenario([(f"{duration_s}s", 100.0)]), system, engine, seed).per_s
    window = slice(warmup_s, duration_s)
    return float(per_s["throttles"][window].sum() / per_s["offered"][window].sum())


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrency_cap_refuses_exactly_what_exceeds_it(engine):
    """Reserved concurrency 73 is a hard cap and a throttle is never queued
    (scaling-behavior.html). Even arrivals every 10 ms, constant service 0.805 s (+1 ms cold
    start): an environment is free again for the arrival 81 places later (0.81 s), so in
    every 81 consecutive arrivals the first 73 run and 8 are throttled. 2,050 arrivals =
    25 x 81 + 25: throttled = 25 x 8 = 200 exactly."""
    system = rule_system(
        service_ms=805, **{"lambda": {"account_concurrency": 1000, "reserved_concurrency": 73}}
    )
    out = _lambda_run(engine, step_scenario([("20.505s", 100.0)], arrivals=EVEN), system, 0.805)
    assert out.offered == 2050
    assert dict(out.causes) == {ThrottleCause.LAMBDA_CONCURRENCY: 200}


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrency_cap_is_an_erlang_b_loss_system(engine):
    """Reserved concurrency 73 with Poisson arrivals (100/s) and exponential service (0.7 s)
    is an M/M/c/c loss system: the fraction throttled is Erlang B(c = 73, a = 70) = 0.0655.
    Four replications after a 20 s warm-up; B must lie in the 99 % interval of their mean."""
    from model_theory_helpers import interval_99

    values = [_blocking(engine, seed) for seed in (11, 12, 13, 14)]
    lo, hi = interval_99(values)
    assert lo <= erlang_b(73, 70.0) <= hi, (values, erlang_b(73, 70.0))


# -- DynamoDB ------------------------------------------------------------------------------------
def _provisioned(
    wcu: float,
    *,
    partitions: int | None = None,
    auto: dict | None = None,
    sdk: dict | None = None,
    **ddb,
):
    write: dict = {"provisioned": wcu}
    if auto is not None:
        write["auto_scaling"] = auto
    cfg = {
        "mode": "provisioned",
        "write": write,
        "read": {"provisioned": 73},
        "partitions": partitions,
    }
    cfg.update({"partition_wcu": 1000, "partition_rcu": 3000, "on_demand_warm_wcu": 4000})
    cfg.update(ddb)
    return rule_system(dynamodb=cfg, **({"sdk": sdk} if sdk else {}))


def _writes(engine: str, scenario, system, *, admin=None):
    if engine == "governor":
        return governor_writes(system, arrival_times(scenario), admin=admin)
    return model(scenario, system, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_burst_credit_runs_out_after_300_seconds_of_unused_capacity(engine):
    """Burst capacity holds 300 s of unused provisioned capacity (burst-adaptive-capacity.html),
    full at the start: 37 WCU provisioned -> 11,100 WCU of credit; 73 writes/s of 1 WCU drain
    it at 36/s, so the first throttle comes at t = 11,100 / 36 = 308.3 s. Even arrivals;
    tolerance one second (per-second figures)."""
    out = _writes(engine, step_scenario([("312s", 73.0)], arrivals=EVEN), _provisioned(37))
    first = int(np.flatnonzero(out.per_s["ddb_throttled"])[0])
    assert first == pytest.approx(11_100 / 36, abs=1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("system_kw", "ceiling"),
    [
        ({"wcu": 730, "partitions": 1}, 1000.0),  # burst credit, but one partition: 1,000/s
        ({"wcu": 730, "partitions": 1, "mode": "on_demand", "on_demand_warm_wcu": 730}, 730.0),
    ],
    ids=["partition", "on-demand-warm"],
)
def test_partition_and_warm_throughput_ceiling(engine, system_kw, ceiling):
    """A partition serves at most 1,000 WCU per second (burst-adaptive-capacity.html): 730 WCU
    provisioned with burst credit on one partition serves 1,000 writes/s of 1,370 offered,
    not 1,370. A new on-demand table serves its warm throughput (here 730 WCU/s,
    on-demand-capacity-mode.html). Mean consumed per second over seconds 3-19 within 1 % of
    the ceiling (retries keep demand above it)."""
    kw = dict(system_kw)
    system = _provisioned(kw.pop("wcu"), **kw)
    out = _writes(engine, step_scenario([("20s", 1370.0)], arrivals=EVEN), system)
    served = out.per_s["wcu"][3:20]
    assert float(np.mean(served)) == pytest.approx(ceiling, rel=0.01)
    assert float(np.max(served)) <= ceiling * 1.01


def _scaling_events(engine: str, scenario, system):
    if engine == "governor":
        assert system.dynamodb.write is not None
        admin = FakeDynamoDBAdmin(system.dynamodb.write.provisioned, 73)
        out = governor_writes(system, arrival_times(scenario), admin=admin)
        return out, [(u["ProvisionedThroughput"]["WriteCapacityUnits"]) for u in admin.updates]
    w = simulate(scenario, system, seed=7, mode=engine)
    assert w.write_pool.scaler is not None
    ev = w.write_pool.scaler.events
    from rule_engines import Outcome

    return Outcome(0, {}, 0, {"prov_wcu": w.fig.prov_wcu}), [math.ceil(e.provisioned) for e in ev]


@pytest.mark.parametrize("engine", ENGINES)
def test_auto_scaling_decides_after_two_datapoints_and_acts_after_the_delay(engine):
    """Target tracking at 70 % (alarm of 2 consecutive 1-minute datapoints:
    repost.aws/knowledge-center/dynamodb-auto-scaling): 73 WCU provisioned, 83 WCU/s consumed
    (burst credit covers it) is 114 % in the datapoints ending at 60 s and 120 s; the alarm
    sees the second after the metric delay (60 s, ASSUMPTION) at 180 s, UpdateTable is in force
    after the actuation delay (30 s, ASSUMPTION) at 210 s, to ceil(83 / 0.7) = 119 WCU. Exact
    to the second."""
    auto = {"min": 73, "max": 1000, "target_utilization_pct": 70}
    out, updates = _scaling_events(
        engine, step_scenario([("230s", 83.0)], arrivals=EVEN), _provisioned(73, auto=auto)
    )
    prov = out.per_s["prov_wcu"]
    assert updates[:1] == [119]
    assert prov[209] == 73 and prov[210] == 119


@pytest.mark.parametrize("engine", ENGINES)
def test_a_throttled_table_steps_up_every_three_datapoints(engine):
    """Demand far above capacity (400 writes/s over 100 tenants, 100 WCU with 1 s of burst
    credit): consumption is the capacity in force. With the metric delay (60 s) and UpdateTable
    (30 s) each step lands mid-datapoint, the datapoint after it is judged against the new
    capacity at exactly 70 % (not above), the next two are above, and the alarm, still in ALARM,
    invokes the policy again (CloudWatch alarm-actions: Auto Scaling actions repeat while the
    alarm stays in ALARM). So capacity goes 100 -> ceil(100/0.7) = 143 at 210 s
    -> ceil(143/0.7) = 205 at 390 s -> ceil(205/0.7) = 293 at 570 s: x 1/0.7 every 180 s."""
    auto = {"min": 100, "max": 1000, "target_utilization_pct": 70}
    system = _provisioned(100, auto=auto, burst_window_s=1)
    sc = step_scenario([("600s", 400.0)], arrivals=EVEN, keys={"tenants": 100})
    out, updates = _scaling_events(engine, sc, system)
    assert updates[:3] == [143, 205, 293]
    prov = out.per_s["prov_wcu"]
    for t, before, after in [(210, 100, 143), (390, 143, 205), (570, 205, 293)]:
        assert (prov[t - 1], prov[t]) == (before, after), t


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("gap_s", "limit", "age"), [(1800.0, 1400.0, {}), (600.0, 730.0, {}), (600.0, 1400.0, 590)]
)
def test_on_demand_serves_twice_the_previous_peak(mode, gap_s, limit, age):
    """On-demand "instantly accommodates up to double the previous peak"; more than that within
    30 minutes can throttle (on-demand-capacity-mode.html). Warm throughput 730 WCU/s, a peak
    of 700 writes/s for 60 s, then 2,000/s offered: 30 minutes after the peak the table serves
    2 x 700 = 1,400/s; 10 minutes after it, still only its warm 730/s -- unless the peak's
    age (the ASSUMPTION ``on_demand_peak_age_s``, calibratable) is set below 10 minutes. Mean
    consumed per second of the second burst (after its first 3 s) within 1 %."""
    extra = {"on_demand_peak_age_s": age} if age else {}
    system = _provisioned(100, mode="on_demand", on_demand_warm_wcu=730, **extra)
    sc = step_scenario(
        [("60s", 700.0), (f"{gap_s - 60:g}s", 0.0), ("20s", 2000.0)],
        arrivals=EVEN,
        keys={"tenants": 100},  # no tenant near one partition's 1,000 writes/s
    )
    out = model(sc, system, mode)
    start = int(gap_s)
    served = out.per_s["wcu"][start + 3 : start + 20]
    assert float(np.mean(served)) == pytest.approx(limit, rel=0.01)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_steps_first_second_is_not_a_peak_to_double(engine):
    """A first step above the on-demand ceiling: warm 730 WCU/s, 1,130 writes/s for 5 s. The
    one-second bucket starts full, so the step's first second serves more than 730; what the
    table accommodated is 730/s, so 30 minutes later it serves 2 x 730 = 1,460/s of 2,000
    offered ("up to double the previous peak traffic", on-demand-capacity-mode.html), not
    the 2,000 that doubling the first second's ~1,130 would allow. Mean consumed per second
    of the second burst (after its first 3 s) within 1 %."""
    system = _provisioned(100, mode="on_demand", on_demand_warm_wcu=730)
    sc = step_scenario(
        [("5s", 1130.0), ("1795s", 0.0), ("20s", 2000.0)],
        arrivals=EVEN,
        keys={"tenants": 100},  # no tenant near one partition's 1,000 writes/s
    )
    out = _keyed_writes(engine, sc, system)
    assert out.per_s["wcu"][0] > 730.0  # the first second's burst
    served = out.per_s["wcu"][1803:1820]
    assert float(np.mean(served)) == pytest.approx(1460.0, rel=0.01)


# -- DynamoDB keys, indexes, warm throughput -------------------------------------------------
def _keyed_writes(engine: str, scenario, system):
    if engine == "governor":
        times = arrival_times(scenario)
        keys = tenant_keys(scenario, len(times))
        return governor_writes(system, times, keys=keys, retry_s=0.05)
    return model(scenario, system, engine)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("keys", "served"),
    [
        ({}, 1000.0),  # the story's single key: one partition's 1,000 WCU/s
        ({"tenants": 3, "skew": "zipf"}, 1000.0 + 1000.0 + 3700.0 * 2 / 11),
        ({"tenants": 7}, 3700.0),  # 529/s a tenant: no key near its limit
    ],
    ids=["one-key", "zipf-3", "uniform-7"],
)
def test_a_partition_key_value_serves_one_partitions_writes(engine, keys, served):
    """Each partition serves at most 1,000 write units per second, and throttling "can occur
    even when your table or GSI has sufficient overall capacity" (warm-throughput-scenarios,
    throttling-key-range-limit-exceeded-mitigation); the Triggers API keys its table by
    tenant with a sort key that only grows, so split for heat cannot spread a tenant's writes.
    A table with 7,300 WCU and warm throughput, 3,700 writes/s offered: one tenant is served
    1,000/s; Zipf over 3 tenants (shares 6/11, 3/11, 2/11: 2,018, 1,009, 673/s) min(., 1,000)
    each = 2,673/s; 7 equal tenants 3,700/s. Mean served per second over seconds 3-11 within
    1 % (throttled writes are retried, so demand stays above the ceiling)."""
    system = _provisioned(
        7300, warm_throughput={"write_units_per_s": 7300, "read_units_per_s": 3000}
    )
    sc = step_scenario([("12s", 3700.0)], arrivals=EVEN, keys=keys)
    out = _keyed_writes(engine, sc, system)
    assert float(np.mean(out.per_s["wcu"][3:12])) == pytest.approx(served, rel=0.01)


@pytest.mark.parametrize("mode", MODES)
def test_an_index_short_of_write_capacity_throttles_the_table_write(mode):
    """ "When a GSI has insufficient write capacity, throttling results in write operations
    that fail on the base table" (re:Post, dynamodb-gsi-throttling-table). Table 7,300 WCU,
    index ``inbox`` provisioned at 370 WCU of its own, 730 writes/s over 100 tenants: the
    table serves 370 writes/s, and the throttles are IndexWriteProvisionedThroughputExceeded."""
    system = _provisioned(
        7300,
        gsis=[{"name": "inbox", "write": {"provisioned": 370}}, {"name": "inbox_by_type"}],
    )
    sc = step_scenario([("12s", 730.0)], arrivals=EVEN, keys={"tenants": 100})
    w = simulate(sc, system, seed=7, mode=mode)
    assert float(np.mean(w.fig.wcu[3:12])) == pytest.approx(370.0, rel=0.01)
    assert set(w.write_pool.reasons) == {ThrottleReason.INDEX_WRITE_PROVISIONED}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("projection", "served_writes"),
    [("keys_only", 290.0), ("all", 370.0 / 3)],  # entry 200 B: 1 WCU; the whole item: 3 WCU
)
def test_an_index_is_charged_for_the_entry_a_write_puts_there(mode, projection, served_writes):
    """A write consumes an index's capacity for the entry it puts there, one unit per started
    KB of that entry ("Writes to a table that has a GSI also consume write capacity on the
    index", GSI.html#GSI.ThroughputConsiderations), not for the table's item. Items of
    2,000 B + 186 B overhead: 3 WCU on the table; a keys-only entry (200 B, ASSUMPTION
    KEYS_ONLY_BYTES) is 1 WCU. Index ``inbox`` at 370 WCU of its own, no burst credit, 290
    writes/s over 100 tenants: keys-only needs 290 WCU/s on the index and every write is
    served (870 WCU/s on the table); projection 'all' needs 870 and the index lets 370 / 3
    writes/s through, throttled as IndexWriteProvisionedThroughputExceeded."""
    system = _provisioned(
        7300,
        item_overhead_bytes=186,
        burst_window_s=0,
        gsis=[
            {"name": "inbox", "projection": projection, "write": {"provisioned": 370}},
            {"name": "inbox_by_type"},
        ],
    )
    sc = step_scenario([("12s", 290.0)], arrivals=EVEN, keys={"tenants": 100})
    sc = sc.model_copy(
        update={"payload": sc.payload.model_copy(update={"size_bytes": _bytes(2000)})}
    )
    w = simulate(sc, system, seed=7, mode=mode)
    assert float(np.mean(w.fig.wcu[3:12])) == pytest.approx(3 * served_writes, rel=0.01)
    if projection == "keys_only":
        assert not w.write_pool.reasons
    else:
        assert set(w.write_pool.reasons) == {ThrottleReason.INDEX_WRITE_PROVISIONED}


def _bytes(n: int) -> SizeRange:
    return SizeRange(min=n, max=n)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("ddb", "ceiling"),
    [
        ({"warm_throughput": {"write_units_per_s": 2000, "read_units_per_s": 3000}}, 2000.0),
        ({}, 4000.0),  # unknown: a new table's 4,000 write units/s baseline (ASSUMPTION)
        ({"layout": "legacy_formula"}, 1000.0),  # ceil(730/1,000 + 73/3,000) = 1 partition
    ],
    ids=["warm-2000", "warm-default", "legacy-formula"],
)
def test_warm_throughput_is_the_instant_ceiling_of_burst_credit(engine, ddb, ceiling):
    """Warm throughput is "the number of read and write operations your DynamoDB table can
    instantaneously support" (warm-throughput.html): 730 WCU provisioned with full burst
    credit and 4,700 writes/s over 100 tenants are served at the warm throughput (2,000/s),
    at a new table's baseline of 4,000/s when it is not known, and at one partition's
    1,000/s under the legacy formula. The ceiling is a bucket holding one second of it, so
    the excess first drains that second (4,000 / 700 = 5.7 s at the baseline); mean served
    per second over seconds 8-13 within 1 %."""
    system = _provisioned(730, **ddb)
    sc = step_scenario([("14s", 4700.0)], arrivals=EVEN, keys={"tenants": 100})
    out = _keyed_writes(engine, sc, system)
    assert float(np.mean(out.per_s["wcu"][8:14])) == pytest.approx(ceiling, rel=0.01)


@pytest.mark.parametrize("mode", MODES)
def test_on_demand_reads_and_writes_share_a_linear_combination(mode):
    """A new on-demand table serves "4,000 write request units or 12,000 read request units,
    or a linear combination of both" (on-demand-capacity-mode.html): with warm throughput
    730 WRU / 2,190 RRU and demand of 500 WRU/s + 2,750 RRU/s (50/50 writes and inbox reads,
    5.5 RRU a page), what is served satisfies w / 730 + r / 2,190 = 1, not 0.68 + 1 as two
    separate buckets would give. Mean over seconds 5-14 within 2 %."""
    system = _provisioned(
        100,
        mode="on_demand",
        warm_throughput={"write_units_per_s": 730, "read_units_per_s": 2190},
    )
    sc = step_scenario([("15s", 1000.0)], arrivals=EVEN, keys={"tenants": 100})
    sc = sc.model_copy(update={"mix": sc.mix.model_copy(update={"get_inbox": 1.0})})
    w = simulate(sc, system, seed=7, mode=mode)
    used = w.fig.wcu[5:15] / 730 + w.fig.rcu[5:15] / 2190
    assert float(np.mean(used)) == pytest.approx(1.0, rel=0.02)


# -- SDK retries -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_a_throttled_calls_duration_adds_once_per_attempt(mode):
    """``dynamodb.throttled_call_ms`` (37 ms here, not the default) is spent before each of
    the 10 legacy sleeps: a request that is never admitted fails after 1 ms (cold start
    floor) + 10 x 37 ms + 50 x (2^9 - 1) ms = 25,921 ms (25,591 ms with the default 4 ms)."""
    system = _provisioned(0.001, throttled_call_ms=37.0)
    sc = step_scenario([("3s", 7.0), ("27s", 0.0)], arrivals=EVEN)
    w = simulate(sc, system, seed=7, mode=mode)
    assert w.causes[ThrottleCause.DYNAMODB_RETRIES_EXHAUSTED] == int(w.fig.offered.sum()) == 21
    expected_ms = 1 + 10 * 37.0 + LEGACY_DYNAMODB_BASE_S * 1000 * (2**9 - 1)
    lats = [lat for _, _, _, lat, _ in w.sink.items()]
    assert lats and all(lat == pytest.approx(expected_ms, rel=0.005) for lat in lats)


@pytest.mark.parametrize("mode", MODES)
def test_legacy_retries_ten_attempts_with_doubling_sleeps(mode):
    """botocore legacy mode for DynamoDB (_retry.json): 10 attempts, sleeping 50 ms x 2^(n-1)
    after failed attempt n. A table that never admits a write makes every request try 10
    times and fail after 1 ms (cold start floor) + 10 x 4 ms (a throttled call, ASSUMPTION)
    + 50 x (2^9 - 1) ms = 25,591 ms. Exact."""
    system = _provisioned(0.001)  # 0.3 WCU of credit: never a whole write
    sc = step_scenario([("3s", 7.0), ("27s", 0.0)], arrivals=EVEN)  # room for the retries
    w = simulate(sc, system, seed=7, mode=mode)
    n = int(w.fig.offered.sum())
    assert w.causes[ThrottleCause.DYNAMODB_RETRIES_EXHAUSTED] == n == 21
    assert int(w.fig.ddb_throttled.sum()) == LEGACY_DYNAMODB_MAX_ATTEMPTS * n
    expected_ms = 1 + 10 * DDB_THROTTLED_CALL_MS + LEGACY_DYNAMODB_BASE_S * 1000 * (2**9 - 1)
    # the sink keeps latencies in 0.5 % steps (HDR precision): every one is that step
    lats = [lat for _, _, _, lat, _ in w.sink.items()]
    assert lats and all(lat == pytest.approx(expected_ms, rel=0.005) for lat in lats)


@pytest.mark.parametrize("mode", MODES)
def test_standard_retries_three_attempts_with_full_jitter(mode):
    """botocore standard mode (retries/standard.py): 3 attempts, sleeping uniform(0, 1 s x
    2^(n-1)) after failed attempt n (throttling base 1 s), retry quota ample here. Every
    request fails after 3 attempts; mean latency 1 + 3 x 4 + 500 + 1,000 = 1,513 ms.
    Tolerance: 4 standard errors of the mean of 300 (sd sqrt(1000^2/12 + 2000^2/12) = 645 ms)."""
    system = _provisioned(0.001, sdk={"retry_mode": "standard"})
    sc = step_scenario([("30s", 10.0), ("5s", 0.0)], arrivals=EVEN)  # room for the retries
    w = simulate(sc, system, seed=7, mode=mode)
    n = int(w.fig.offered.sum())
    assert int(w.fig.ddb_throttled.sum()) == STANDARD_MAX_ATTEMPTS * n
    lats = np.array([lat for _, _, _, lat, c in w.sink.items() for _ in range(c)])
    assert lats.size == n
    assert float(lats.mean()) == pytest.approx(1513.0, abs=4 * 645 / math.sqrt(n))


# -- SQS consumer --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("lambda_", "depth"),
    [
        # reserved 1,000 of 1,100: the consumer has the other 100
        ({"account_concurrency": 1100, "reserved_concurrency": 1000}, 300_000 - 20 * 5050),
        # the whole account but the API's ~100 busy environments: the ramp never reaches it
        ({"account_concurrency": 1100}, 300_000 - 20 * 9150),
    ],
    ids=["reserved-api", "shared-pool"],
)
def test_the_queue_consumer_ramps_within_the_concurrency_left_to_it(mode, lambda_, depth):
    """The event source mapping "starts with five concurrent batches" and adds "up to 300 more
    instances of your function per minute" (with-sqs.html, "Scaling and processing"): 5 more
    each second here (ASSUMPTION: spread evenly), batches of 10 taking 500 ms, so 20 messages/s
    per instance. The consumer is a function of the same account: "When a function has
    reserved concurrency, no other function can use that concurrency"
    (configuration-concurrency.html), so with the API reserving 1,000 of 1,100 it stops at
    100 instances: in second u it runs min(100, 5 + 5u) and after 60 s at 5,000 posts/s the
    queue holds 300,000 - 20 x (sum over 20 s of 5 + 5u = 1,050, plus 40 x 100) = 199,000.
    Sharing the account, it could reach 1,100 - 100 and its ramp (5 + 5u, sum 9,150) binds:
    117,000. The last 20 ms of posts are enqueued after the 60th second (0.1 % of them)."""
    batch = {"batch_size": 10, "service_time_ms": {"dist": "constant", "value_ms": 500}}
    system = rule_system(**{"lambda": lambda_, "sqs": {"consumer": batch}})
    sc = step_scenario([("60s", 5000.0)], arrivals=EVEN, keys={"tenants": 100})
    w = simulate(sc, system, seed=7, mode=mode)
    assert float(w.fig.sqs_depth[59]) == pytest.approx(depth, rel=0.002)
    assert not w.causes[ThrottleCause.LAMBDA_CONCURRENCY]
