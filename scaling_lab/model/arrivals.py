"""Open-model arrivals: Poisson counts per millisecond tick from the scenario's rate shape."""

from __future__ import annotations

import numpy as np

from scaling_lab.scenario.models import Endpoint, Scenario

__all__ = ["TICK_S", "rate_per_tick", "tick_counts"]

TICK_S = 0.001  # one millisecond


def rate_per_tick(scenario: Scenario, n_ticks: int) -> np.ndarray:
    """Expected arrivals (all endpoints) in each tick: ``rate_at`` at the tick's midpoint."""
    t = (np.arange(n_ticks) + 0.5) * TICK_S
    rate = np.zeros(n_ticks)
    for seg in scenario.traffic.segments:
        mask = (t >= seg.start_s) & (t < seg.end_s)
        span = seg.end_s - seg.start_s
        if span <= 0:
            continue
        frac = (t[mask] - seg.start_s) / span
        rate[mask] = seg.rate_from + (seg.rate_to - seg.rate_from) * frac
    return rate * scenario.scale * TICK_S


def tick_counts(scenario: Scenario, rng: np.random.Generator) -> dict[Endpoint, np.ndarray]:
    """Poisson arrival counts per endpoint per tick over the scenario's duration."""
    n_ticks = round(scenario.duration_s / TICK_S)
    lam = rate_per_tick(scenario, n_ticks)
    return {ep: rng.poisson(lam * share) for ep, share in scenario.mix.fractions().items()}
