"""Arrivals against closed forms: the count a piecewise-linear rate implies (its integral),
k6's even spacing, and the Poisson law (mean, variance, and where in time the arrivals fall)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scaling_lab.model.arrivals import TICK_S, expected_arrivals, tick_arrivals
from scaling_lab.scenario.models import ArrivalProcess, Scenario


def _scenario(arrivals: str, stages: list[dict[str, object]], start: float = 0.0) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "arrivals",
            "traffic": {"start_rate": start, "stages": stages, "arrivals": arrivals},
            "mix": {"post_events": 3, "get_inbox": 1},
        }
    )


RAMP = [  # 0 -> 400/s over 10 s, 400/s for 5 s, a step to 100/s for 5 s, down to 0 over 4 s
    {"duration": "10s", "target": 400},
    {"duration": "5s", "target": 400},
    {"duration": "5s", "target": 100, "ramp": "step"},
    {"duration": "4s", "target": 0},
]
# the integral of that shape, by hand: 10 * 400 / 2 + 5 * 400 + 5 * 100 + 4 * 100 / 2
MASS = 2000 + 2000 + 500 + 200


def _times(sc: Scenario, seed: int = 1) -> dict[str, np.ndarray]:
    out = tick_arrivals(sc, np.random.default_rng(seed))
    return {ep.value: np.repeat(a.ticks, a.counts) * TICK_S for ep, a in out.items()}


def test_the_expected_count_is_the_integral_of_the_rate() -> None:
    assert expected_arrivals(_scenario("even", RAMP)) == pytest.approx(MASS)


def test_even_arrivals_follow_the_integral_of_the_rate() -> None:
    t = _times(_scenario("even", RAMP))
    post, inbox = t["post_events"], t["get_inbox"]
    assert post.size == 3 * MASS // 4 and inbox.size == MASS // 4
    # on the ramp 0 -> 400/s, L(t) = 20 t^2: by 5 s a quarter of the ramp's 2,000
    assert np.count_nonzero(post < 5.0) == pytest.approx(0.75 * 500, abs=1)
    # the i-th arrival of the constant 400/s (x 3/4 = 300/s) stretch is i/300 s in
    hold = post[(post >= 10.0) & (post < 15.0)]
    assert hold.size == pytest.approx(1500, abs=1)
    assert np.allclose(np.diff(hold), 1 / 300, atol=TICK_S + 1e-9)
    # the ramp down 100 -> 0 over 4 s: L = 100 d - 12.5 d^2, 150 of its 200 in the first 2 s
    down = post[post >= 20.0]
    assert np.count_nonzero(down < 22.0) == pytest.approx(0.75 * 150, abs=1)


def test_poisson_counts_have_the_poisson_law() -> None:
    flat = [{"duration": "200s", "target": 50}]
    per_second = []
    for seed in range(3):
        t = _times(_scenario("poisson", flat, start=50), seed)["post_events"]
        per_second.append(np.bincount(t.astype(int), minlength=200)[:200])
    counts = np.concatenate(per_second)  # 600 seconds of a 37.5/s process
    assert counts.mean() == pytest.approx(37.5, rel=0.02)
    # index of dispersion: variance / mean is 1 for Poisson counts (chi-square test)
    chi2 = (counts.size - 1) * counts.var(ddof=1) / counts.mean()
    assert stats.chi2.sf(chi2, counts.size - 1) > 0.001
    assert stats.chi2.cdf(chi2, counts.size - 1) > 0.001  # not too regular either


def test_poisson_arrivals_fall_where_the_rate_puts_them() -> None:
    sc = _scenario("poisson", RAMP)
    t = np.concatenate([np.concatenate(list(_times(sc, s).values())) for s in range(4)])
    curve = np.vectorize(_integral)  # L(t) / L(end) is the CDF of an arrival's time

    res = stats.kstest(t + TICK_S / 2, lambda x: curve(x) / MASS)
    assert res.pvalue > 0.001, res
    assert t.size == pytest.approx(4 * MASS, rel=0.05)


def _integral(x: float) -> float:
    if x < 10:
        return 20.0 * x * x
    if x < 15:
        return 2000 + 400 * (x - 10)
    if x < 20:
        return 4000 + 100 * (x - 15)
    d = min(x - 20, 4.0)
    return 4500 + 100 * d - 12.5 * d * d


def test_the_process_is_the_scenarios_choice() -> None:
    sc = _scenario("even", RAMP)
    assert sc.traffic.arrivals_or(ArrivalProcess.POISSON) is ArrivalProcess.EVEN
    a = _times(sc, 1)["post_events"]
    b = _times(sc, 2)["post_events"]
    assert np.array_equal(a, b)  # even spacing draws nothing
