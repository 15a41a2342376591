"""Open-model arrivals: the ticks (milliseconds) with arrivals and their counts, per endpoint,
from the scenario's rate shape; Poisson or evenly spaced like k6's arrival-rate executors
(``traffic.arrivals``).

Both processes come from the inverse of the expected-arrivals curve ``L(t)`` (the integral of
the piecewise-linear rate): the ``i``-th even arrival comes when ``L`` reaches ``i``; a Poisson
process is a Poisson number of points spread uniformly over ``L``'s range and mapped back
through the inverse (the time-change construction of a non-homogeneous Poisson process). The
cost follows the number of arrivals, not the number of milliseconds simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scaling_lab.scenario.models import ArrivalProcess, Endpoint, Scenario

__all__ = ["TICK_S", "Arrivals", "expected_arrivals", "tick_arrivals"]

TICK_S = 0.001  # one millisecond


@dataclass(frozen=True)
class Arrivals:
    """One endpoint's arrivals: increasing ticks with at least one arrival, and the counts."""

    ticks: np.ndarray
    counts: np.ndarray

    @property
    def total(self) -> int:
        return int(self.counts.sum())


class _Curve:
    """``L(t)``: expected arrivals (all endpoints) from 0 to ``t``, and its inverse."""

    def __init__(self, scenario: Scenario) -> None:
        segs = [s for s in scenario.traffic.segments if s.end_s > s.start_s]
        k = scenario.scale
        self.start = np.array([s.start_s for s in segs], dtype=float)
        self.span = np.array([s.end_s - s.start_s for s in segs], dtype=float)
        self.b = np.array([s.rate_from * k for s in segs], dtype=float)  # rate at the start
        slope = np.array([(s.rate_to - s.rate_from) * k for s in segs], dtype=float)
        self.a = np.divide(slope, 2 * self.span, out=np.zeros_like(slope), where=self.span > 0)
        mass = self.b * self.span + self.a * self.span**2
        self.cum_end = np.cumsum(mass)
        self.cum_start = self.cum_end - mass
        self.total = float(self.cum_end[-1]) if len(segs) else 0.0

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """Times at which ``L`` reaches each ``y`` (0 < y <= total)."""
        k = np.minimum(np.searchsorted(self.cum_end, y, side="left"), len(self.cum_end) - 1)
        rest = np.maximum(y - self.cum_start[k], 0.0)
        a, b = self.a[k], self.b[k]
        # a d^2 + b d = rest, solved in the form that stays exact when a is 0 or b is 0
        root = np.sqrt(np.maximum(b * b + 4 * a * rest, 0.0))
        den = b + root
        d = np.divide(2 * rest, den, out=np.zeros_like(rest), where=den > 0)
        t: np.ndarray = self.start[k] + np.minimum(d, self.span[k])
        return t


def expected_arrivals(scenario: Scenario) -> float:
    """Expected arrivals over the whole run (all endpoints), at the scenario's scale."""
    return _Curve(scenario).total


def tick_arrivals(scenario: Scenario, rng: np.random.Generator) -> dict[Endpoint, Arrivals]:
    """Arrivals per endpoint over the scenario's duration, by millisecond tick.

    Poisson: each endpoint an independent process of rate ``share x rate(t)``. Even (k6's
    arrival-rate executors, one per endpoint): the ``i``-th arrival comes when the endpoint's
    expected count reaches ``i`` (k6 starts its first at t = 0; here it comes one interval
    later), in the tick that time falls in (the tick that ends at it, on a boundary).
    """
    n_ticks = round(scenario.duration_s / TICK_S)
    curve = _Curve(scenario)
    even = scenario.traffic.arrivals_or(ArrivalProcess.POISSON) is ArrivalProcess.EVEN
    out: dict[Endpoint, Arrivals] = {}
    for ep, share in scenario.mix.fractions().items():
        mass = curve.total * share
        if even:
            n = math.floor(mass + 1e-9)
            t = curve.inverse(np.arange(1, n + 1, dtype=float) / share)
            ticks = np.ceil(t / TICK_S - 1e-6).astype(np.int64) - 1
        else:
            n = int(rng.poisson(mass))
            t = curve.inverse(np.sort(rng.random(n)) * curve.total)
            ticks = np.floor(t / TICK_S).astype(np.int64)
        ticks = np.clip(ticks, 0, max(n_ticks - 1, 0))
        # the times increase, so the ticks do: their runs are the counts (no sort needed)
        starts = np.flatnonzero(np.diff(ticks, prepend=-1))
        counts = np.diff(starts, append=ticks.size)
        out[ep] = Arrivals(ticks[starts], counts.astype(np.int64))
    return out
