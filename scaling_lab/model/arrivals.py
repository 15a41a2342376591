"""Open-model arrivals: counts per millisecond tick from the scenario's rate shape, Poisson or
evenly spaced like k6's arrival-rate executors (``traffic.arrivals``)."""

from __future__ import annotations

import numpy as np

from scaling_lab.scenario.models import ArrivalProcess, Endpoint, Scenario

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
    """Arrival counts per endpoint per tick over the scenario's duration.

    Poisson: independent counts with the tick's expected value. Even (k6's arrival-rate
    executors, one per endpoint): the ``i``-th arrival comes when the integral of the rate
    reaches ``i`` (k6 starts its first at t = 0; here it comes one interval later), so a
    tick's count is how many whole arrivals its end has passed that its start had not.
    """
    n_ticks = round(scenario.duration_s / TICK_S)
    lam = rate_per_tick(scenario, n_ticks)
    shares = scenario.mix.fractions().items()
    if scenario.traffic.arrivals_or(ArrivalProcess.POISSON) is ArrivalProcess.EVEN:
        out = {}
        for ep, share in shares:
            whole = np.floor(np.cumsum(lam * share) + 1e-9)
            out[ep] = np.diff(whole, prepend=0.0).astype(np.int64)
        return out
    return {ep: rng.poisson(lam * share) for ep, share in shares}
