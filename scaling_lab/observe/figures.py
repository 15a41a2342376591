"""Observed per-period metric values, and their spreading onto a run's seconds.

A :class:`FigureSeries` holds datapoints keyed by the epoch second their period starts.
:meth:`Figures.per_run_second` turns them into per-second values on a run's clock: a counter
(``Sum``) is spread evenly over the seconds of its period (integers by largest remainder, so
totals are kept), a gauge (``Maximum``/``Average``) is repeated on each of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaling_lab.aws.metrics import INTEGER_FIGURES
from scaling_lab.aws.metrics import OBSERVABLE_FIGURES as FIGURE_NAMES
from scaling_lab.aws.throttles import ThrottleCause

__all__ = ["FIGURE_NAMES", "FigureSeries", "Figures"]


@dataclass
class FigureSeries:
    """Datapoints of one figure: ``stat`` (Sum: a counter; else a gauge), ``period_s``."""

    stat: str
    period_s: int
    points: dict[int, float] = field(default_factory=dict)

    @property
    def is_counter(self) -> bool:
        return self.stat == "Sum"

    def add(self, epoch_s: int, value: float) -> None:
        """Add a datapoint (counters add up; gauges keep the maximum)."""
        if epoch_s in self.points:
            old = self.points[epoch_s]
            value = old + value if self.is_counter else max(old, value)
        self.points[epoch_s] = value

    def merge_sum(self, other: FigureSeries) -> None:
        """Add another counter's datapoints to this one."""
        for ts, value in other.points.items():
            self.points[ts] = self.points.get(ts, 0.0) + value


def _spread(total: float, n: int, integer: bool) -> list[float]:
    if n <= 1:
        return [total]
    if not integer:
        return [total / n] * n
    whole = round(total)
    base, rest = divmod(whole, n)
    return [float(base + (1 if i < rest else 0)) for i in range(n)]


@dataclass
class Figures:
    """Observed figures of a run, from CloudWatch or the emulator's JSON endpoint."""

    series: dict[str, FigureSeries]
    source: str
    #: Figures the source can see (null in the result when not listed; 0 when listed but absent).
    observable: set[str] = field(default_factory=set)
    throttles_by_cause: dict[ThrottleCause, int] | None = None
    notes: list[str] = field(default_factory=list)
    #: Figures asked for (CloudWatch): those not in ``observable`` returned no datapoints.
    queried: set[str] = field(default_factory=set)

    def per_run_second(
        self, started_epoch_s: float, duration_s: int
    ) -> dict[str, dict[int, float]]:
        """``{figure: {t_s: value}}`` for ``0 <= t_s < duration_s`` on the run's clock."""
        origin = math.floor(started_epoch_s)
        out: dict[str, dict[int, float]] = {}
        for name, fs in self.series.items():
            if name not in FIGURE_NAMES:
                continue
            values: dict[int, float] = {}
            for ts, value in sorted(fs.points.items()):
                n = max(1, fs.period_s)
                parts = _spread(value, n, name in INTEGER_FIGURES) if fs.is_counter else [value] * n
                for i, part in enumerate(parts):
                    t = ts + i - origin
                    if 0 <= t < duration_s:
                        if fs.is_counter:
                            values[t] = values.get(t, 0.0) + part
                        else:
                            values[t] = max(values.get(t, part), part)
            out[name] = values
        return out
