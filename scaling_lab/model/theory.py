"""Queueing formulas the model is validated against (Erlang B, M/M/inf)."""

from __future__ import annotations

__all__ = ["erlang_b", "mm_inf_mean"]


def erlang_b(servers: int, offered_erlangs: float) -> float:
    """Blocking probability of M/M/c/c (Erlang loss formula), by the stable recursion
    B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))."""
    if servers < 0 or offered_erlangs < 0:
        raise ValueError("servers and offered load must be >= 0")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_erlangs * b / (k + offered_erlangs * b)
    return b


def mm_inf_mean(rate_per_s: float, mean_service_s: float) -> float:
    """Mean number busy in M/M/inf (and M/G/inf): lambda x E[S] (Little's law)."""
    return rate_per_s * mean_service_s
