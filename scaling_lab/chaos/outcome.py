"""What an experiment's prediction says: per phase and probe, over every replication, whether
the probe held, its value and how far past the tolerance it went (mean and 95 % interval),
and when it first deviated; whether and when a stop condition aborts the run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from scaling_lab.chaos.hypothesis import ChaosPhase, Reading, ReplicationVerdict
from scaling_lab.chaos.loader import LoadedExperiment
from scaling_lab.jsontypes import JsonObject
from scaling_lab.result.models import RunResult

__all__ = [
    "ActivityRun",
    "ChaosOutcome",
    "ChaosStatus",
    "Interval",
    "LocalRun",
    "ProbeOutcome",
    "Verdict",
    "interval",
]


class Verdict(StrEnum):
    HELD = "held"  # in every replication that reached the phase
    DEVIATED = "deviated"  # in at least one
    UNOBSERVABLE = "unobservable"  # no replication had the figure
    NOT_APPLICABLE = "n/a"  # recovery_time outside the 'after' phase
    NOT_REACHED = "not reached"  # every replication was aborted before the phase


class ChaosStatus(StrEnum):
    """The journal's status (Chaos Toolkit's words)."""

    COMPLETED = "completed"  # the hypothesis held throughout
    FAILED = "failed"  # it did not hold before the faults, or deviated during or after
    ABORTED = "aborted"  # a stop condition fired


@dataclass(frozen=True)
class Interval:
    """Mean and 95 % confidence interval (Student t) over replications; n = 1: the value."""

    mean: float
    low: float
    high: float
    n: int

    def show(self, fmt: str = ",.4g") -> str:
        if self.n < 2 or self.low == self.high:
            return format(self.mean, fmt)
        return f"{self.mean:{fmt}} ({self.low:{fmt}} .. {self.high:{fmt}})"


def interval(values: Sequence[float]) -> Interval | None:
    if not values:
        return None
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return Interval(mean, mean, mean, 1)
    from scipy.stats import t

    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


@dataclass(frozen=True)
class ProbeOutcome:
    phase: ChaosPhase
    probe: str
    tolerance: str
    readings: tuple[Reading, ...]  # one per replication
    recovery: bool = False  # a recovery_time probe: judged only after the last fault

    @property
    def reached(self) -> int:
        return sum(r.reached for r in self.readings)

    @property
    def held_in(self) -> int:
        return sum(r.held is True for r in self.readings)

    @property
    def deviated_in(self) -> int:
        return sum(r.held is False for r in self.readings)

    @property
    def verdict(self) -> Verdict:
        if self.recovery and self.phase.kind != "after":
            return Verdict.NOT_APPLICABLE
        if self.deviated_in:
            return Verdict.DEVIATED
        if self.held_in:
            return Verdict.HELD
        if not self.reached:
            return Verdict.NOT_REACHED
        return Verdict.UNOBSERVABLE

    @property
    def observed(self) -> Interval | None:
        return interval([r.observed for r in self.readings if r.observed is not None])

    @property
    def excess(self) -> Interval | None:
        return interval([r.excess for r in self.readings if r.excess is not None])

    @property
    def first_deviation_s(self) -> Interval | None:
        return interval(
            [float(r.first_deviation_s) for r in self.readings if r.first_deviation_s is not None]
        )


@dataclass(frozen=True)
class ActivityRun:
    """One action run for real (a rollback on the local stack): wall-clock times (epoch s),
    whether it succeeded, what it returned or why it failed."""

    name: str
    start_epoch_s: float
    end_epoch_s: float
    succeeded: bool
    output: JsonObject
    error: str | None = None


@dataclass(frozen=True)
class LocalRun:
    """What a run on the local stack adds to the judgement: its clock, the governor's fault
    journal, the stop condition that stopped it, the rollbacks and the audit."""

    t0_epoch_s: float  # run time 0 (k6's start mark)
    planned_s: float  # the scenario's duration
    ended_s: float  # run time the load ended (earlier than planned when aborted)
    faults: list[JsonObject]  # the governor's journal of the method's faults
    rollbacks: list[ActivityRun]
    audit: list[str]  # the data-loss audit's lines
    result_path: str
    stopped_by: str | None = None  # the stop condition, as written, that aborted the run


@dataclass(frozen=True)
class ChaosOutcome:
    loaded: LoadedExperiment
    result: RunResult  # the prediction (first replication's series, intervals over all)
    phases: list[ChaosPhase]
    probes: list[ProbeOutcome]
    replications: list[ReplicationVerdict]
    unmodelled: list[str] = field(default_factory=list)  # actions the model does not inject
    started_at: str = ""  # ISO time the prediction was made
    computed_s: float = 0.0  # wall seconds it took
    target: str = "model"  # model | local | url
    local: LocalRun | None = None  # a run on the local stack

    @property
    def aborted_in(self) -> int:
        return sum(r.abort_s is not None for r in self.replications)

    @property
    def abort_s(self) -> Interval | None:
        return interval([r.abort_s for r in self.replications if r.abort_s is not None])

    def in_phase(self, kind: str) -> list[ProbeOutcome]:
        return [p for p in self.probes if p.phase.kind == kind]

    def met(self, outcomes: Sequence[ProbeOutcome]) -> bool | None:
        """Whether the steady state was met over ``outcomes`` (None: none could be judged)."""
        judged = [p for p in outcomes if p.verdict in (Verdict.HELD, Verdict.DEVIATED)]
        if not judged:
            return None
        return all(p.verdict is Verdict.HELD for p in judged)

    @property
    def before_met(self) -> bool | None:
        return self.met(self.in_phase("before"))

    @property
    def deviated(self) -> bool:
        """The hypothesis deviated once the faults began (during, after, or an abort)."""
        if self.aborted_in:
            return True
        later = [p for p in self.probes if p.phase.kind != "before"]
        return any(p.verdict is Verdict.DEVIATED for p in later)

    @property
    def status(self) -> ChaosStatus:
        if self.before_met is False:
            return ChaosStatus.FAILED
        if self.aborted_in:
            return ChaosStatus.ABORTED
        return ChaosStatus.FAILED if self.deviated else ChaosStatus.COMPLETED

    @property
    def held(self) -> bool:
        return self.status is ChaosStatus.COMPLETED
