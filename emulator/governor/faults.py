"""The scenario's fault timeline: which faults are active at a run time, and their journal.

Each fault is active on ``[at_s, at_s + duration_s)`` of run time and rolled back at its end
(chaostoolkit's method -> rollback order). The journal records, per fault, when it was applied
and rolled back (epoch seconds) and how many calls it affected. Faults can be added while the
run goes (``add``) and ended early (``clear``: active ones end now, pending ones never start),
which is how a chaos experiment's rollback reaches the governor.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from scaling_lab.observe.document import FaultRecord
from scaling_lab.scenario.models import Fault, FaultKind

__all__ = ["FaultTimeline", "JournalEntry"]

_SERVICES = {"dynamodb", "sqs", "lambda"}


@dataclass
class JournalEntry:
    """What happened to one fault of the timeline."""

    index: int
    fault: Fault
    applied_epoch_s: float | None = None
    rolled_back_epoch_s: float | None = None
    affected_calls: int = 0
    cleared_at_s: float | None = None  # run time ``clear`` ended it (or cancelled it)

    @property
    def end_s(self) -> float:
        """Run time the fault ends: its own end, or when it was cleared."""
        end = self.fault.at_s + self.fault.duration_s
        return end if self.cleared_at_s is None else min(end, self.cleared_at_s)

    @property
    def cancelled(self) -> bool:
        """Cleared before it started: it never applies."""
        return self.cleared_at_s is not None and self.cleared_at_s <= self.fault.at_s

    def record(self) -> FaultRecord:
        """Its entry in the metrics document (served by the control endpoint)."""
        return FaultRecord(
            index=self.index,
            fault=self.fault,
            applied_epoch_s=self.applied_epoch_s,
            rolled_back_epoch_s=self.rolled_back_epoch_s,
            affected_calls=self.affected_calls,
        )


def _targets(fault: Fault) -> set[str]:
    return set(_SERVICES) if fault.target == "all" else {fault.target}


@dataclass
class FaultTimeline:
    """Faults by run time; thread-safe counters of affected calls."""

    faults: list[Fault] = field(default_factory=list)
    journal: list[JournalEntry] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.journal = [JournalEntry(i, f) for i, f in enumerate(self.faults)]

    def active(self, t_s: float) -> list[JournalEntry]:
        """Entries whose fault is active at run time ``t_s``."""
        return [e for e in self.journal if e.fault.at_s <= t_s < e.end_s]

    def add(self, faults: list[Fault]) -> list[JournalEntry]:
        """Append ``faults`` (their ``at`` on the run clock) to the timeline."""
        with self._lock:
            n = len(self.journal)
            new = [JournalEntry(n + i, f) for i, f in enumerate(faults)]
            self.faults = [*self.faults, *faults]
            self.journal = [*self.journal, *new]  # one swap: readers see old or new, whole
        return new

    def clear(self, t_s: float) -> list[JournalEntry]:
        """End every fault active at run time ``t_s`` now and cancel those not started yet;
        returns the entries it ended or cancelled."""
        ended: list[JournalEntry] = []
        with self._lock:
            for e in self.journal:
                if e.cleared_at_s is None and t_s < e.fault.at_s + e.fault.duration_s:
                    e.cleared_at_s = max(t_s, 0.0) if t_s >= e.fault.at_s else e.fault.at_s
                    ended.append(e)
        return ended

    def find(self, t_s: float, kind: FaultKind, service: str) -> JournalEntry | None:
        """The first active fault of ``kind`` that targets ``service``."""
        for e in self.active(t_s):
            if e.fault.kind is kind and service in _targets(e.fault):
                return e
        return None

    def first(self, t_s: float, kind: FaultKind) -> JournalEntry | None:
        """The first active fault of ``kind`` whatever its target (the kind names the service)."""
        for e in self.active(t_s):
            if e.fault.kind is kind:
                return e
        return None

    def sqs_unavailable(self, t_s: float) -> JournalEntry | None:
        """An active ``sqs_unavailable`` fault."""
        return self.first(t_s, FaultKind.SQS_UNAVAILABLE)

    def hit(self, entry: JournalEntry) -> None:
        """Count one call affected by ``entry``."""
        with self._lock:
            entry.affected_calls += 1

    def step(self, t_s: float, now_epoch_s: float) -> tuple[list[JournalEntry], list[JournalEntry]]:
        """Mark faults that started or ended by ``t_s``; returns (applied, rolled back) now."""
        applied: list[JournalEntry] = []
        rolled: list[JournalEntry] = []
        for e in self.journal:
            if e.cancelled:
                continue
            start, end = e.fault.at_s, e.end_s
            if e.applied_epoch_s is None and t_s >= start:
                e.applied_epoch_s = now_epoch_s - (t_s - start)
                applied.append(e)
            if e.applied_epoch_s is not None and e.rolled_back_epoch_s is None and t_s >= end:
                e.rolled_back_epoch_s = now_epoch_s - (t_s - end)
                rolled.append(e)
        return applied, rolled
