"""The model against queueing theory: replications, a warm-up cut, theory inside the 99 %
confidence interval of replication means (Ciw's method)."""

from __future__ import annotations

import numpy as np
import pytest
from model_theory_helpers import constant_scenario, interval_99, queue_system

from scaling_lab.model import erlang_b, mm_inf_mean, simulate

pytestmark = pytest.mark.validation

WARMUP_S = 10


@pytest.fixture(params=["fast", "exact"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


REPLICATIONS = 10


def test_concurrency_cap_throttles_match_erlang_b(mode: str) -> None:
    # M/M/c/c: c = 20 environments, a = 200/s x 0.1 s = 20 erlangs -> B = 0.159
    c, rate, mean_ms, duration = 20, 200.0, 100.0, 70
    scenario = constant_scenario(rate, duration)
    system = queue_system(cap=c, mean_service_ms=mean_ms)
    fractions = []
    for seed in range(REPLICATIONS):
        f = simulate(scenario, system, seed=1000 + seed, mode=mode).fig
        offered = f.offered[WARMUP_S:duration].sum()
        fractions.append(float(f.throttles[WARMUP_S:duration].sum() / offered))
    low, high = interval_99(fractions)
    theory = erlang_b(c, rate * mean_ms / 1000.0)
    assert low <= theory <= high, (theory, low, high)


def test_no_cap_mean_concurrency_matches_mm_inf(mode: str) -> None:
    # M/M/inf: mean busy = lambda x E[S] = 400/s x 0.05 s = 20
    rate, mean_ms, duration = 400.0, 50.0, 40
    scenario = constant_scenario(rate, duration)
    system = queue_system(cap=None, mean_service_ms=mean_ms)
    means = []
    for seed in range(REPLICATIONS):
        f = simulate(scenario, system, seed=2000 + seed, mode=mode).fig
        means.append(float(f.busy_mean[WARMUP_S:duration].mean()))
    low, high = interval_99(means)
    assert low <= mm_inf_mean(rate, mean_ms / 1000.0) <= high, (low, high)


def test_littles_law_between_rate_latency_and_concurrency(mode: str) -> None:
    # L = lambda_eff x W over the same window, with every request's latency
    rate, mean_ms, duration = 300.0, 40.0, 40
    scenario = constant_scenario(rate, duration)
    system = queue_system(cap=None, mean_service_ms=mean_ms)
    gaps = []
    for seed in range(REPLICATIONS):
        world = simulate(scenario, system, seed=3000 + seed, mode=mode)
        f = world.fig
        lat_sum = 0.0
        n = 0
        for sec, _ep, err, lat, count in world.sink.items():
            if WARMUP_S <= sec < duration - 1 and err is None:
                lat_sum += lat * count
                n += count
        throughput = n / (duration - 1 - WARMUP_S)
        little = throughput * (lat_sum / n) / 1000.0
        gaps.append(float(np.mean(f.busy_mean[WARMUP_S : duration - 1])) - little)
    low, high = interval_99(gaps)
    assert low <= 0.0 <= high, (low, high)
