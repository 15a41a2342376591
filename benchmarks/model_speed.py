"""Model speed: simulated requests per CPU second, ``fast`` and ``exact`` against a naive
per-request SimPy model measured in the same run.

    python benchmarks/model_speed.py [--exact-scale 0.05] [--naive-requests 300000]

The reference is the textbook SimPy model: one Resource (capacity 1,000), Poisson arrivals at
10,000/s, a log-normal service time (median 18 ms, sigma 0.35), one process per request, no
other rule. ``exact`` runs ``full-load`` scaled down (it is the same per-request design with
every rule on); ``fast`` runs ``full-load`` as shipped (2.7M requests). Goal: fast >= 10x.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from scaling_lab.model import predict, simulate
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system
from scaling_lab.system.scaling import scale_system


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


def model_rate(scenario_scale: float, mode: str, *, build: bool) -> tuple[float, int, float]:
    """(requests per CPU s, requests, CPU s) of one replication of full-load; ``build`` adds
    folding it into a RunResult (per-second HDR percentiles, thresholds, recovery)."""
    sc = load_scenario("full-load")
    if scenario_scale != 1:
        sc = sc.scaled(scenario_scale)
    sy = load_system(sc.system)
    t0 = time.process_time()
    if build:
        n = predict(sc, sy, mode=mode).summary.requests
    else:
        sim_sys = scale_system(sy, sc.scale) if sc.scale != 1 else sy
        n = int(simulate(sc, sim_sys, seed=sc.seed, mode=mode).fig.offered.sum())
    cpu = time.process_time() - t0
    return n / cpu, n, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exact-scale", type=float, default=0.05)
    ap.add_argument("--naive-requests", type=int, default=300_000)
    args = ap.parse_args()
    naive = naive_reference(args.naive_requests)
    print(
        f"naive SimPy reference: {naive:,.0f} simulated requests / CPU s "
        f"({args.naive_requests:,} requests)"
    )
    ex_rate, ex_n, ex_cpu = model_rate(args.exact_scale, "exact", build=False)
    print(
        f"exact simulate, full-load x {args.exact_scale:g}: {ex_n:,} requests in "
        f"{ex_cpu:.2f} CPU s = {ex_rate:,.0f} /s  ({ex_rate / naive:.2f}x the reference)"
    )
    fa_rate, fa_n, fa_cpu = model_rate(1.0, "fast", build=False)
    print(
        f"fast simulate, full-load: {fa_n:,} requests in {fa_cpu:.2f} CPU s = "
        f"{fa_rate:,.0f} /s  ({fa_rate / naive:.1f}x the reference, {fa_rate / ex_rate:.1f}x "
        "exact)"
    )
    pr_rate, _pr_n, pr_cpu = model_rate(1.0, "fast", build=True)
    print(
        f"fast predict (simulate + RunResult), full-load: {pr_cpu:.2f} CPU s = "
        f"{pr_rate:,.0f} /s  ({pr_rate / naive:.1f}x the reference)"
    )
    goal = "met" if fa_rate >= 10 * naive else "NOT met"
    print(f"goal fast >= 10x reference (simulated requests per CPU s): {goal}")


if __name__ == "__main__":
    main()
