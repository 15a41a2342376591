"""Model speed: CPU seconds of one replication (simulate + RunResult) against the targets, and
simulated requests per CPU second against two references measured in the same run.

    python benchmarks/model_speed.py [--naive-requests 300000] [--day-hours 24] [--repeat 3]

Targets (each the best of ``--repeat`` runs, ``time.process_time``; this is a 2-core shared
machine, so the best run is the one least disturbed):
- ``spike`` as shipped (1.3M requests): <= 0.5 CPU s;
- ``full-load`` as shipped (2.7M requests): <= 1.5 CPU s;
- a day at 0.9 req/s (~78K requests, Poisson, exponential 18 ms service, exponential cold
  start, 10 min idle reclaim, on-demand DynamoDB) no slower than SimFaaS on the same workload
  (benchmarks/simfaas_reference.py; ``pip install -e .[bench]``), and its cost proportional to
  requests: a quarter of the day costs about a quarter.

References: the textbook SimPy model (one Resource of 1,000, Poisson arrivals at 10,000/s,
log-normal service median 18 ms sigma 0.35, one process per request, no other rule) and
SimFaaS, the published serverless simulator (PyPI ``simfaas``).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from scaling_lab.model import predict
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system
from scaling_lab.system.models import SystemConfig

WARM_MS, COLD_MS, RECLAIM_S, DAY_RATE = 18.0, 250.0, 600.0, 0.9


def naive_reference(n_requests: int, seed: int = 1) -> float:
    """Requests per CPU second of a plain per-request SimPy model."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / 10_000.0, n_requests).tolist()
    svc = (rng.lognormal(math.log(0.018), 0.35, n_requests)).tolist()
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=1000)
    done = [0]

    def request(s: float) -> Generator[Any, Any, None]:
        with res.request() as req:
            yield req
            yield env.timeout(s)
        done[0] += 1

    def source() -> Generator[Any, Any, None]:
        for g, s in zip(gaps, svc, strict=True):
            yield env.timeout(g)
            env.process(request(s))

    env.process(source())
    t0 = time.process_time()
    env.run()
    cpu = time.process_time() - t0
    assert done[0] == n_requests
    return n_requests / cpu


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """(least CPU s over ``repeat`` runs, requests of the run)."""
    best, n = math.inf, 0
    for _ in range(repeat):
        t0 = time.process_time()
        n = run()
        best = min(best, time.process_time() - t0)
    return best, n


def day_workload(hours: float) -> tuple[Scenario, SystemConfig]:
    """The workload SimFaaS can express too: one function, Poisson arrivals at a constant low
    rate, exponential service; SimFaaS's cold time is the whole cold response, so the
    model's cold start (added to the handler's time) has mean ``COLD_MS - WARM_MS``."""
    sc = Scenario.model_validate(
        {
            "name": "day",
            "traffic": {
                "start_rate": DAY_RATE,
                "arrivals": "poisson",
                "stages": [{"duration": f"{hours * 3600:g}s", "target": DAY_RATE}],
            },
            "mix": {"post_events": 1},
        }
    )
    sy = SystemConfig.model_validate(
        {
            "name": "day",
            "lambda": {
                "service_time_ms": {"post_events": {"dist": "exponential", "mean_ms": WARM_MS}},
                "cold_start_ms": {"dist": "exponential", "mean_ms": COLD_MS - WARM_MS},
                "idle_reclaim_s": f"{RECLAIM_S:g}s",
            },
            "dynamodb": {"mode": "on_demand"},
        }
    )
    return sc, sy


def _predicted(sc: Scenario, sy: SystemConfig) -> Callable[[], int]:
    return lambda: predict(sc, sy).summary.requests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive-requests", type=int, default=300_000)
    ap.add_argument("--day-hours", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    naive = naive_reference(args.naive_requests)
    print(f"naive SimPy reference: {naive:,.0f} simulated requests / CPU s")
    verdicts: list[str] = []
    for name, target in (("spike", 0.5), ("full-load", 1.5)):
        sc = load_scenario(name)
        cpu, n = best_of(args.repeat, _predicted(sc, load_system(sc.system)))
        met = cpu <= target
        verdicts.append(f"{name} <= {target:g} CPU s: {'met' if met else 'NOT met'}")
        print(
            f"{name}: {n:,} requests, simulate + result {cpu:.2f} CPU s (target {target:g}) = "
            f"{n / cpu:,.0f} /s, {n / cpu / naive:.1f}x the SimPy reference"
        )
    from simfaas_reference import simfaas_rate

    sf_rate, sf_n, sf_cpu = simfaas_rate(
        DAY_RATE, args.day_hours * 3600.0, WARM_MS, COLD_MS, RECLAIM_S
    )
    day_cpu, day_n = best_of(args.repeat, _predicted(*day_workload(args.day_hours)))
    part_cpu, part_n = best_of(args.repeat, _predicted(*day_workload(args.day_hours / 4)))
    print(
        f"SimFaaS, {DAY_RATE:g} req/s for {args.day_hours:g} h: {sf_n:,} requests in "
        f"{sf_cpu:.2f} CPU s = {sf_rate:,.0f} /s"
    )
    print(
        f"model, same workload: {day_n:,} requests in {day_cpu:.2f} CPU s = "
        f"{day_n / day_cpu:,.0f} /s ({sf_cpu / day_cpu:.2f}x SimFaaS's speed); a quarter of it: "
        f"{part_cpu:.2f} CPU s ({part_cpu / day_cpu:.2f} of the whole, requests "
        f"{part_n / day_n:.2f})"
    )
    verdicts.append(
        f"day at {DAY_RATE:g} req/s no slower than SimFaaS: "
        f"{'met' if day_cpu <= sf_cpu else 'NOT met'}"
    )
    proportional = abs(part_cpu / day_cpu - part_n / day_n) <= 0.1
    verdicts.append(f"its cost proportional to requests: {'met' if proportional else 'NOT met'}")
    for v in verdicts:
        print("goal " + v)


if __name__ == "__main__":
    main()
