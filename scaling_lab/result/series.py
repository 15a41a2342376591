"""Null-aware helpers over a per-second series: a null figure is skipped, never read as 0."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from scaling_lab.result.models import SecondSample

__all__ = ["max_present", "points", "sum_present"]


def sum_present(values: Iterable[float | int | None]) -> float | None:
    """Sum of the non-null values; None when every value is null (unobservable)."""
    present = [v for v in values if v is not None]
    return float(sum(present)) if present else None


def max_present(values: Iterable[float | int | None]) -> float | None:
    """Maximum of the non-null values; None when every value is null (unobservable)."""
    present = [v for v in values if v is not None]
    return float(max(present)) if present else None


def points(
    series: Sequence[SecondSample], get: Callable[[SecondSample], float | int | None]
) -> tuple[list[float], list[float]]:
    """(t_s, value) of every second whose figure is not null, for plotting."""
    xs: list[float] = []
    ys: list[float] = []
    for s in series:
        v = get(s)
        if v is not None:
            xs.append(float(s.t_s))
            ys.append(float(v))
    return xs, ys
