"""Abort conditions (k6's ``abortOnFail`` with ``delayAbortEval``) judged live during a run."""

from __future__ import annotations

from dataclasses import dataclass

from scaling_lab.load.aggregate import LiveStats
from scaling_lab.scenario.models import AbortConfig
from scaling_lab.scenario.thresholds import Threshold, parse_threshold

__all__ = ["AbortWatch", "Aborted"]


@dataclass(frozen=True)
class Aborted:
    """Why and when a run was stopped."""

    condition: str
    observed: float
    at_s: float
    over: str = "over the run so far"  # what ``observed`` was measured over

    def note(self) -> str:
        return (
            f"aborted after {self.at_s:.0f} s: abort condition {self.condition!r} failed "
            f"(observed {self.observed:.4g} {self.over}); the result is partial"
        )


class AbortWatch:
    """Judge ``config``'s conditions on ``stats`` once ``delay_s`` has passed."""

    def __init__(self, config: AbortConfig | None, stats: LiveStats) -> None:
        self.delay_s = config.delay_s if config is not None else 0.0
        self.conditions: list[Threshold] = (
            [parse_threshold(c) for c in config.conditions] if config is not None else []
        )
        self.stats = stats
        self.tripped: Aborted | None = None

    def check(self, elapsed_s: float) -> Aborted | None:
        """The first failing condition at ``elapsed_s`` (seconds since the run's start mark);
        None while all hold, before the delay, or with nothing measured yet."""
        if self.tripped is not None or not self.conditions or elapsed_s < self.delay_s:
            return self.tripped
        for th in self.conditions:
            observed = self.stats.so_far(th.aggregation, th.percentile)
            if observed is not None and not th.holds(observed):
                self.tripped = Aborted(th.source, observed, elapsed_s)
                break
        return self.tripped
