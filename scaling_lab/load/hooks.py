"""Calls into a local run while it goes: the target once it is up, a check every tick that
may stop the load, and a last call after k6 ends while the target is still up (chaos
experiments inject, judge and roll back through these)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from scaling_lab.load.abort import Aborted
from scaling_lab.load.target import Target
from scaling_lab.observe import Figures
from scaling_lab.result.builder import ResultBuilder
from scaling_lab.result.models import SecondSample

__all__ = ["LiveRun", "RunHooks"]


class LiveRun:
    """A run in progress, as a hook sees it: seconds since k6's start mark, the per-second
    series so far (under the aggregator's lock) and the local stack's figures."""

    def __init__(
        self,
        builder: ResultBuilder,
        lock: threading.Lock,
        target: Target,
        start_ms: Callable[[], float | None],
        elapsed_s: Callable[[], float | None],
    ) -> None:
        self._builder = builder
        self._lock = lock
        self.target = target
        self._start_ms = start_ms
        self._elapsed_s = elapsed_s

    @property
    def started_epoch_s(self) -> float | None:
        """Run time 0 (k6's start mark), epoch seconds; None before it."""
        ms = self._start_ms()
        return None if ms is None else ms / 1000.0

    @property
    def elapsed_s(self) -> float | None:
        return self._elapsed_s()

    def seconds(self, t_from: int, t_to: int) -> list[SecondSample]:
        """Seconds ``[t_from, t_to)`` of the series as measured so far."""
        with self._lock:
            return self._builder.samples(t_from, t_to)

    def figures(self) -> Figures | None:
        """The local stack's per-second figures now (None: not a local stack)."""
        return None if self.target.metrics is None else self.target.metrics()


@dataclass(frozen=True)
class RunHooks:
    """``ready`` once the target is up (before k6 starts); ``check`` every tick (an Aborted
    stops the load, as an abort condition does); ``stopped`` after k6 ended, before the audit
    and with the target still up; its lines go to the result's notes."""

    ready: Callable[[Target], None] | None = None
    check: Callable[[LiveRun], Aborted | None] | None = None
    stopped: Callable[[Target], list[str]] | None = None
