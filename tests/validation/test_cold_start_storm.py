"""The cold-start storm (Lambda recycles its execution environments) against closed forms.

While it lasts every invocation needs a new environment, so the scaling rate -- not the
warm pool -- decides what is admitted: the 2023 rule's bucket of 1,000 new environments,
refilled at 100/s (scaling-behavior.html), drains at (rate - 100)/s and then admits 100/s.
"""

from __future__ import annotations

import pytest
from rule_engines import arrival_times, governor_lambda, model, rule_system, step_scenario

from scaling_lab.aws import LambdaEnvironments, ThrottleCause
from scaling_lab.scenario.models import ArrivalProcess, Fault, FaultKind

RATE, SERVICE_S = 300.0, 0.05
STORM_AT, STORM_S = 10.0, 20.0


def _storm_case(rate=RATE, service_s=SERVICE_S, storm_s=STORM_S):
    sc = step_scenario([("40s", rate)], arrivals=ArrivalProcess.EVEN)
    storm = Fault.model_validate(
        {"kind": "cold_start_storm", "at": f"{STORM_AT:g}s", "duration": f"{storm_s:g}s"}
    )
    sc = sc.model_copy(update={"faults": [storm]})
    scaling = {"rule": "2023", "envs_per_interval": 1000, "interval_s": "10s"}
    system = rule_system(service_ms=service_s * 1000, **{"lambda": {"scaling": scaling}})
    return sc, system


def _run(engine, sc, system, service_s):
    if engine == "governor":
        times = arrival_times(sc)
        return governor_lambda(system, times, lambda _i: service_s, faults=sc.faults)
    return model(sc, system, engine)


@pytest.mark.parametrize("engine", ["fast", "exact", "governor"])
def test_a_storm_with_odd_numbers_throttles_what_the_bucket_cannot_grant(engine):
    """237 req/s of 43 ms, a 17 s storm: the bucket of 1,000 drains at 137/s for 1000/137 =
    7.30 s, then 137/s are throttled for the other 9.70 s: 137 x 9.70 = 1,329."""
    rate, service_s, storm_s = 237.0, 0.043, 17.0
    sc, system = _storm_case(rate, service_s, storm_s)
    out = _run(engine, sc, system, service_s)
    throttled = (rate - 100.0) * (storm_s - 1000.0 / (rate - 100.0))
    assert out.throttled == pytest.approx(throttled, rel=0.03)
    assert set(out.causes) == {ThrottleCause.LAMBDA_SCALING_RATE}


@pytest.mark.parametrize("engine", ["fast", "exact", "governor"])
def test_a_storm_makes_every_invocation_cold_and_the_scaling_rate_binds(engine):
    sc, system = _storm_case()
    out = _run(engine, sc, system, SERVICE_S)
    # before: the warm pool (~ RATE x SERVICE_S = 15 environments) serves everything; the
    # bucket is full again when the storm starts. During: the bucket of 1,000 drains at
    # (300 - 100)/s for 5 s, then 100/s are admitted, 200/s throttled for 15 s.
    drain_s = 1000.0 / (RATE - 100.0)
    throttled = (RATE - 100.0) * (STORM_S - drain_s)
    cold_during = RATE * drain_s + 100.0 * (STORM_S - drain_s)
    assert set(out.causes) == {ThrottleCause.LAMBDA_SCALING_RATE}
    assert out.throttled == pytest.approx(throttled, rel=0.03)
    # every admitted invocation of the storm is cold; around it only the warm pool's ~15
    # environments (before, and again after) start cold
    assert 0 <= out.cold - cold_during <= 4 * RATE * SERVICE_S + 0.03 * cold_during
    # outside the storm nothing is refused and the pool is warm again within a second
    assert sum(out.per_s["throttles"][:10]) == 0 and sum(out.per_s["throttles"][31:]) == 0


def test_the_rule_recycles_idle_and_busy_environments_and_gives_provisioned_back():
    _sc, system = _storm_case()
    cfg = system.lambda_.model_copy(update={"provisioned_concurrency": 5})
    lam = LambdaEnvironments(cfg)
    first = lam.admit(0.0, 8)  # 5 provisioned warm, 3 new
    assert (first.warm, first.cold) == (5, 3)
    lam.release(0.1, 8)
    assert lam.idle == 8
    lam.set_recycling(True)
    assert lam.idle == 0  # every idle environment shut down, provisioned ones too
    again = lam.admit(0.2, 4)
    assert (again.warm, again.cold) == (0, 4)
    lam.release(0.3, 4)
    assert lam.idle == 0  # shut down when its invocation ended
    lam.set_recycling(False)
    assert lam.idle == 5  # provisioned concurrency is back
    assert FaultKind.COLD_START_STORM.value == "cold_start_storm"
