"""The model's state and the governor's, fed the same arrivals, decide every request alike.

Both drive the rulebook's classes, but each wires them (front door, Lambda environments, the
table's write capacity with burst credit and partitions) from the system file on its own;
this test catches a difference in that wiring: one arrival sequence, every request's fate
(front door, Lambda cause, cold or warm, write admitted or throttled) compared one by one.
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from rule_engines import EPOCH, make_governor, rule_system, step_scenario

from scaling_lab.model.world import World

pytestmark = pytest.mark.validation


def _system():
    return rule_system(
        service_ms=300,
        front_door={"kind": "api_gateway", "rate_per_s": 730, "burst": 370},
        **{
            "lambda": {
                "account_concurrency": 1000,
                "reserved_concurrency": 173,
                "provisioned_concurrency": 11,
                "scaling": {"envs_per_interval": 37, "interval_s": "10s"},
                "idle_reclaim_s": "7s",
            }
        },
        dynamodb={
            "mode": "provisioned",
            "write": {"provisioned": 237},
            "read": {"provisioned": 73},
            "partitions": 1,
            "partition_wcu": 150,
            "burst_window_s": "3s",
        },
    )


def _fates(admit_front, admit_lambda, release, write, times, services):
    """Per arrival: 'front_door', a Lambda cause, or ('cold'|'warm', 'ok'|'ddb')."""
    done: list[float] = []
    fates: list[object] = []
    for t, s in zip(times, services, strict=True):
        while done and done[0] <= t:
            release(heapq.heappop(done))
        if not admit_front(t):
            fates.append("front_door")
            continue
        adm = admit_lambda(t)
        if adm.cause is not None:
            fates.append(adm.cause.value)
            continue
        fates.append(("cold" if adm.cold else "warm", "ok" if write(t) else "ddb"))
        heapq.heappush(done, t + s)
    return fates


def test_model_and_governor_decide_every_request_alike() -> None:
    system = _system()
    rng = np.random.default_rng(5)
    # bursts and lulls: every limit binds somewhere, idle environments get reclaimed
    rates = np.repeat(rng.uniform(50, 1500, 40), 1)
    times = np.concatenate(
        [i + np.sort(rng.uniform(0, 1, rng.poisson(r))) for i, r in enumerate(rates)]
    )
    services = rng.exponential(0.3, times.size)

    world = World(step_scenario([("40s", 100.0)]), system)
    lam, pool, fd = world.lam, world.write_pool, world.front_door
    assert fd is not None

    def model_write(t: float) -> bool:
        if pool.available(t) >= 1.0:
            pool.take(t, 1.0)
            return True
        return False

    predicted = _fates(
        lambda t: fd.take_whole(t, 1) == 1,
        lambda t: lam.admit(t, 1),
        lambda t: lam.release(t, 1),
        model_write,
        times,
        services,
    )

    g, clock = make_governor(system)

    def at(f):
        def call(t: float):
            clock.t = EPOCH + t
            return f(EPOCH + t)

        return call

    observed = _fates(
        at(g.front_door_admit),
        at(g.admit_lambda),
        at(g.release_lambda),
        at(lambda now: g.try_consume_write(1.0, now)),
        times,
        services,
    )
    kinds = {f if isinstance(f, str) else f[1] for f in predicted}
    assert kinds >= {"front_door", "lambda_concurrency", "lambda_scaling_rate", "ok", "ddb"}
    assert predicted == observed
