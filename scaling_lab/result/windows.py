"""Windowed thresholds (``p(95)<100 over 10s``): judged on every window of the per-second series.

A window is ``window_s`` consecutive seconds ``[t, t + window_s)`` for every ``t`` from 0 to the
end of the series (a run shorter than the window is one window). Latency comes from merging the
seconds' HDR histograms (exact, never an average of percentiles); ``rate`` is errors over
requests in the window; ``count`` the requests in the window. A window without the figure (no
requests) is skipped; when no window has it, the threshold is unobservable (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import ErrorCounts, SecondSample
from scaling_lab.scenario.thresholds import Threshold

__all__ = ["WindowVerdict", "judge_windows"]


@dataclass(frozen=True)
class WindowVerdict:
    """The worst window: its value, its start second, and whether every window held."""

    observed: float | None
    window_start_s: int | None
    passed: bool | None  # None: no window had the figure
    windows: int  # windows judged (those with the figure)


class _Unobservable(Exception):
    """A second has responses but no histogram was kept."""


def _second_parts(
    s: SecondSample, endpoint: str
) -> tuple[int, ErrorCounts, LatencyHistogram | None]:
    names = list(s.endpoints) if endpoint == "all" else [endpoint]
    requests, errors, hist = 0, ErrorCounts(), None
    for name in names:
        es = s.endpoints.get(name)
        if es is None:
            continue
        requests += es.requests
        errors = errors.add(es.errors)
        if es.hdr is not None:
            h = LatencyHistogram.decode(es.hdr)
            if hist is None:
                hist = h
            else:
                hist.merge(h)
        elif es.requests > es.errors.timeout:
            raise _Unobservable(name)
    return requests, errors, hist


def judge_windows(th: Threshold, series: Sequence[SecondSample], endpoint: str) -> WindowVerdict:
    """Judge ``th`` (which has ``window_s``) on every window of ``series`` for ``endpoint``."""
    width = th.window_s or 1
    try:
        parts = [_second_parts(s, endpoint) for s in series]
    except _Unobservable:
        return WindowVerdict(None, None, None, 0)
    if not parts:
        return WindowVerdict(None, None, None, 0)
    starts = range(0, max(1, len(parts) - width + 1))
    worst: tuple[float, int] | None = None
    judged = 0
    failed = False
    for t in starts:
        window = parts[t : t + width]
        value = _window_value(th, window)
        if value is None:
            continue
        judged += 1
        failed = failed or not th.holds(value)
        if worst is None or th.worse(value, worst[0]):
            worst = (value, series[t].t_s)
    if worst is None:
        return WindowVerdict(None, None, None, 0)
    return WindowVerdict(worst[0], worst[1], not failed, judged)


def _window_value(
    th: Threshold, window: Sequence[tuple[int, ErrorCounts, LatencyHistogram | None]]
) -> float | None:
    requests = sum(p[0] for p in window)
    if th.aggregation in ("count", "value"):
        return float(requests)
    if th.aggregation == "rate":
        if not requests:
            return None
        return sum(p[1].total for p in window) / requests
    merged = LatencyHistogram()
    for _, _, h in window:
        if h is not None:
            merged.merge(h)
    value = merged.aggregate(th.aggregation, th.percentile) if merged.count else None
    merged.release()
    return value
