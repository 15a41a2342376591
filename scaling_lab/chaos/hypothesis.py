"""Judge the steady-state hypothesis on one run's per-second series: per phase (before the
first fault, during each fault, after the last), each probe's value, whether it holds, the
first second that breaks it, and the second a stop condition aborts the run.

A probe's value over a phase is its tolerance's aggregation over the phase's seconds (see
``scaling_lab.chaos.models``); with ``over Ns`` the worst window of N seconds within the phase.
The first deviation is the first second of the phase whose own value (of its window, with
``over``) breaks the tolerance. A stop condition fires when its probe, second by second,
breaks the bound for ``for`` consecutive seconds: the run would be aborted at the end of the
last of them, so seconds from then on are not reached.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scaling_lab.chaos.models import RECOVERY_TIME, THROUGHPUT, Experiment, Probe
from scaling_lab.result.figures import phase_histogram
from scaling_lab.result.models import SecondSample
from scaling_lab.scenario.thresholds import Threshold, parse_threshold

__all__ = [
    "ChaosPhase",
    "Reading",
    "ReplicationVerdict",
    "StopWatch",
    "abort_second",
    "excess",
    "experiment_phases",
    "judge_replication",
    "probe_value",
]


@dataclass(frozen=True)
class ChaosPhase:
    """A stretch of the run the hypothesis is judged on: ``before``, ``during:<action>``
    (one per action of the method) or ``after``."""

    name: str
    start_s: float
    end_s: float
    action: str | None = None

    @property
    def kind(self) -> str:
        return self.name.split(":", 1)[0]


def experiment_phases(experiment: Experiment, duration_s: float) -> list[ChaosPhase]:
    phases = []
    first, last = experiment.first_fault_s, experiment.last_fault_end_s
    if first > 0:
        phases.append(ChaosPhase("before", 0.0, first))
    for a in experiment.method:
        phases.append(ChaosPhase(f"during:{a.name}", a.at_s, min(a.end_s, duration_s), a.name))
    if last < duration_s:
        phases.append(ChaosPhase("after", last, duration_s))
    return phases


def _endpoint_value(endpoint: str, th: Threshold, seconds: Sequence[SecondSample]) -> float | None:
    if th.aggregation in ("rate", "count"):
        requests = errors = 0
        for s in seconds:
            names = list(s.endpoints) if endpoint == "all" else [endpoint]
            for name in names:
                es = s.endpoints.get(name)
                if es is not None:
                    requests += es.requests
                    errors += es.errors.total
        if th.aggregation == "count":
            return float(requests)
        return errors / requests if requests else None
    h = phase_histogram(seconds, endpoint)
    return None if h is None else h.aggregate(th.aggregation, th.percentile)


def _figure_of(s: SecondSample, figure: str) -> float | None:
    if figure == THROUGHPUT:
        if s.completed is None or s.errors is None:
            return None
        return float(s.completed - s.errors.total)
    v = getattr(s, figure)
    return None if v is None else float(v)


def _figure_value(figure: str, th: Threshold, seconds: Sequence[SecondSample]) -> float | None:
    values = [v for v in (_figure_of(s, figure) for s in seconds) if v is not None]
    if not values:
        return None
    agg = th.aggregation
    if agg == "count":
        return float(sum(values))
    if agg == "rate":
        return float(sum(values)) / len(seconds)
    if agg == "value":
        return values[-1]
    if agg == "avg":
        return float(np.mean(values))
    if agg == "min":
        return min(values)
    if agg == "max":
        return max(values)
    q = 50.0 if agg == "med" else float(th.percentile or 0.0)
    return float(np.percentile(values, q))


def _value(probe: Probe, th: Threshold, seconds: Sequence[SecondSample]) -> float | None:
    if probe.endpoint is not None:
        return _endpoint_value(probe.endpoint, th, seconds)
    assert probe.figure is not None
    return _figure_value(probe.figure, th, seconds)


def probe_value(probe: Probe, th: Threshold, seconds: Sequence[SecondSample]) -> float | None:
    """The probe's value over ``seconds``; with a window, the worst window's."""
    width = th.window_s
    if width is None or len(seconds) <= width:
        return _value(probe, th, seconds)
    worst: float | None = None
    for i in range(len(seconds) - width + 1):
        v = _value(probe, th, seconds[i : i + width])
        if v is not None and (worst is None or th.worse(v, worst)):
            worst = v
    return worst


def excess(th: Threshold, observed: float) -> float:
    """How far ``observed`` is past the tolerance's bound, in the probe's units (positive:
    beyond it; negative: the margin left)."""
    if th.operator in ("<", "<="):
        return observed - th.value
    if th.operator in (">", ">="):
        return th.value - observed
    return abs(observed - th.value)


def _breaks(probe: Probe, th: Threshold, seconds: Sequence[SecondSample]) -> bool | None:
    v = _value(probe, th, seconds)
    return None if v is None else not th.holds(v)


def _first_break(probe: Probe, th: Threshold, seconds: Sequence[SecondSample]) -> int | None:
    width = th.window_s or 1
    for i in range(max(1, len(seconds) - width + 1)):
        if _breaks(probe, th, seconds[i : i + width]):
            return seconds[i].t_s
    return None


@dataclass(frozen=True)
class Reading:
    """One probe in one phase of one run."""

    reached: bool  # False: the run was aborted before the phase
    observed: float | None  # None: unobservable (or not reached)
    held: bool | None  # None: unobservable, not reached, or not applicable
    first_deviation_s: int | None = None  # scenario second; only when it did not hold
    excess: float | None = None


@dataclass(frozen=True)
class ReplicationVerdict:
    seed: int
    readings: dict[tuple[str, str], Reading]  # (phase name, probe name)
    abort_s: float | None  # the second a stop condition aborts the run; None: it ran out
    aborted_by: int | None  # index of the stop condition


class StopWatch:
    """The stop conditions judged second by second as the seconds come (in order, each once):
    ``feed`` returns (second the run is aborted at, the condition's index) once one has broken
    its bound for ``for`` consecutive seconds."""

    def __init__(self, experiment: Experiment) -> None:
        self._conditions = [
            (
                experiment.probe(stop.probe),
                parse_threshold(stop.tolerance),
                max(1, math.ceil(stop.for_s)),
            )
            for stop in experiment.stop_conditions
        ]
        self._runs = [0] * len(self._conditions)
        self.tripped: tuple[float, int] | None = None
        self.observed: float | None = None  # the tripping condition's value in its last second

    def feed(self, s: SecondSample) -> tuple[float, int] | None:
        if self.tripped is not None:
            return self.tripped
        for i, (probe, th, need) in enumerate(self._conditions):
            self._runs[i] = self._runs[i] + 1 if _breaks(probe, th, [s]) else 0
            if self._runs[i] >= need:
                self.tripped = (float(s.t_s + 1), i)
                self.observed = _value(probe, th, [s])
                break
        return self.tripped


def abort_second(
    experiment: Experiment, series: Sequence[SecondSample]
) -> tuple[float | None, int | None]:
    """(second the run is aborted at, the stop condition's index), or (None, None)."""
    watch = StopWatch(experiment)
    for s in series:
        if watch.feed(s) is not None:
            break
    return (None, None) if watch.tripped is None else watch.tripped


def _recovery_s(
    experiment: Experiment, probe: Probe, seconds: Sequence[SecondSample], end_s: float
) -> float | None:
    """Seconds from ``end_s`` until every other probe holds, second by second, for ``hold``."""
    others = [
        (p, parse_threshold(parse_threshold(p.tolerance).k6_expression))
        for p in experiment.steady_state_hypothesis.probes
        if p.figure != RECOVERY_TIME
    ]
    need = max(1, math.ceil(probe.hold_s))
    run = 0
    for i, s in enumerate(seconds):
        ok = all(_breaks(p, th, [s]) is not True for p, th in others)
        run = run + 1 if ok else 0
        if run >= need:
            return max(0.0, float(seconds[i - need + 1].t_s) - end_s)
    return None


def _reading(
    experiment: Experiment, probe: Probe, phase: ChaosPhase, seconds: Sequence[SecondSample]
) -> Reading:
    th = parse_threshold(probe.tolerance)
    if probe.figure == RECOVERY_TIME:
        if phase.kind != "after":
            return Reading(True, None, None)
        rec = _recovery_s(experiment, probe, seconds, phase.start_s)
        if rec is None:  # not recovered before the run ended: the probe fails
            return Reading(True, None, False)
        held = th.holds(rec)
        return Reading(True, rec, held, None, excess(th, rec))
    observed = probe_value(probe, th, seconds)
    if observed is None:
        return Reading(True, None, None)
    held = th.holds(observed)
    first = None if held else _first_break(probe, th, seconds)
    return Reading(True, observed, held, first, excess(th, observed))


def judge_replication(
    experiment: Experiment,
    phases: Sequence[ChaosPhase],
    series: Sequence[SecondSample],
    seed: int,
    aborted: tuple[float | None, int | None] | None = None,
) -> ReplicationVerdict:
    """Every probe in every phase of one run (``series``), and where it would be aborted;
    ``aborted``: where it was (a run on the local stack, stopped while it went)."""
    abort_s, by = abort_second(experiment, series) if aborted is None else aborted
    readings: dict[tuple[str, str], Reading] = {}
    for phase in phases:
        stop = phase.end_s if abort_s is None else min(phase.end_s, abort_s)
        seconds = [s for s in series if phase.start_s <= s.t_s < stop]
        for probe in experiment.steady_state_hypothesis.probes:
            if abort_s is not None and phase.start_s >= abort_s:
                readings[(phase.name, probe.name)] = Reading(False, None, None)
            else:
                readings[(phase.name, probe.name)] = _reading(experiment, probe, phase, seconds)
    return ReplicationVerdict(seed, readings, abort_s, by)
