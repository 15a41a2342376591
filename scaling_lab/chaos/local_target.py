"""``chaos run --target local``: k6 load on the local stack with the method's faults on the
scenario's timeline (the governor applies them, as for ``run``), the stop conditions judged
second by second while the load goes (an abort stops k6 and rolls back at once), rollbacks
through the governor, the data-loss audit, and the hypothesis judged per phase on the observed
series with the model target's code."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from scaling_lab.aws.metrics import COUNTERS, INTEGER_FIGURES
from scaling_lab.chaos.governor import GovernorClient
from scaling_lab.chaos.hypothesis import StopWatch, experiment_phases, judge_replication
from scaling_lab.chaos.loader import LoadedExperiment
from scaling_lab.chaos.models import RECOVERY_TIME, Experiment
from scaling_lab.chaos.outcome import ActivityRun, ChaosOutcome, LocalRun, ProbeOutcome
from scaling_lab.errors import ScalingLabError
from scaling_lab.jsontypes import JsonObject
from scaling_lab.load.abort import Aborted
from scaling_lab.load.hooks import LiveRun, RunHooks
from scaling_lab.load.runner import LoadRun, run_load
from scaling_lab.load.target import Target
from scaling_lab.result.models import SecondSample

__all__ = [
    "COMPLETE_AFTER_S",
    "Stops",
    "observed_outcome",
    "run_on_local",
    "timed_activity",
    "with_figures",
]

#: A second is judged by the stop conditions once this many more have passed: its requests
#: (counted in the second they started) and the governor's counters for it are in by then.
COMPLETE_AFTER_S = 1


def with_figures(
    run: LiveRun, seconds: list[SecondSample], duration_s: float
) -> list[SecondSample]:
    """``seconds`` of the live series with the local stack's figures (Lambda, DynamoDB, SQS)
    set, as the result has them after the run; unchanged when they cannot be read now."""
    started = run.started_epoch_s
    if started is None:
        return seconds
    try:
        figs = run.figures()
    except ScalingLabError:
        return seconds  # unavailable this time: the endpoints' figures still stand
    if figs is None:
        return seconds
    per = figs.per_run_second(started, max(1, math.ceil(duration_s)))
    # a counter the stack observes but has no datapoint for in a second counted nothing then
    zeros = {n: 0 for n in figs.observable if n in COUNTERS}
    out = []
    for s in seconds:
        upd: dict[str, float | int] = {**zeros}
        upd.update({n: _whole(n, v[s.t_s]) for n, v in per.items() if s.t_s in v})
        out.append(s.model_copy(update=upd) if upd else s)
    return out


def _whole(name: str, value: float) -> float | int:
    return round(value) if name in INTEGER_FIGURES else value


@dataclass
class Stops:
    """The stop conditions fed each completed second of the live series."""

    experiment: Experiment
    duration_s: float
    watch: StopWatch = field(init=False)
    cursor: int = 0
    tripped_epoch_s: float | None = None
    figures: bool = field(init=False)

    def __post_init__(self) -> None:
        self.watch = StopWatch(self.experiment)
        self.figures = any(
            self.experiment.probe(s.probe).figure is not None
            for s in self.experiment.stop_conditions
        )

    def check(self, run: LiveRun) -> Aborted | None:
        elapsed = run.elapsed_s
        if elapsed is None or not self.experiment.stop_conditions:
            return None
        upto = min(math.floor(elapsed) - COMPLETE_AFTER_S, math.ceil(self.duration_s))
        if upto <= self.cursor:
            return None
        seconds = run.seconds(self.cursor, upto)
        if self.figures:
            seconds = with_figures(run, seconds, self.duration_s)
        self.cursor = upto
        for s in seconds:
            hit = self.watch.feed(s)
            if hit is not None:
                at_s, i = hit
                self.tripped_epoch_s = time.time()
                stop = self.experiment.stop_conditions[i]
                return Aborted(
                    f"stop condition {stop.probe}: {stop.tolerance} for {stop.for_s:g}s",
                    self.watch.observed if self.watch.observed is not None else math.nan,
                    elapsed,
                    over=f"in second {at_s - 1:g}, the last of {stop.for_s:g} s past it",
                )
        return None


Step = tuple[bool, JsonObject, str | None]  # (succeeded, output, why not)


def timed_activity(name: str, act: Callable[[], Step]) -> ActivityRun:
    """Run one rollback, timed; an error it raises is its failure."""
    start = time.time()
    try:
        ok, output, error = act()
    except ScalingLabError as exc:
        return ActivityRun(name, start, time.time(), False, {}, str(exc))
    return ActivityRun(name, start, time.time(), ok, output, None if ok else error)


def _rollbacks(experiment: Experiment, tgt: Target) -> list[ActivityRun]:
    """Every rollback through the governor: each ends the faults still active and cancels the
    pending ones (``restore_capacity``: a throttle storm is the capacity's only change)."""
    client = GovernorClient(tgt.url)

    def clear(kind: str) -> Step:
        cleared, after = client.clear()
        output: JsonObject = {
            "governor": "POST /_governor/faults/clear",
            "kind": kind,
            "cleared": list(cleared),
            "active_after": list(after.active),
            "run_time_s": after.run_time_s,
        }
        return not after.active, output, f"faults still active after the clear: {after.active}"

    return [
        timed_activity(rb.name, functools.partial(clear, rb.kind.value))
        for rb in experiment.rollbacks
    ]


def run_on_local(
    loaded: LoadedExperiment,
    *,
    scale: float = 1.0,
    out_dir: Path = Path("runs"),
    backend: str = "embedded",
    k6_path: str | None = None,
    live: bool = False,
    console: Console | None = None,
) -> ChaosOutcome:
    """Run the experiment on the local stack; the RunResult goes to ``out_dir``."""
    experiment, scenario = loaded.experiment, loaded.scenario
    stops = Stops(experiment, scenario.duration_s)
    state: dict[str, object] = {}
    rollbacks: list[ActivityRun] = []  # what the rollbacks did, once the load ended

    def stopped(tgt: Target) -> list[str]:
        runs = _rollbacks(experiment, tgt)
        rollbacks[:] = runs
        try:  # after the rollbacks: the journal says when each fault ended
            state["journal"] = GovernorClient(tgt.url).journal()
        except ScalingLabError as exc:
            state["journal_error"] = str(exc)
        return [
            f"rollback {r.name}: {'succeeded' if r.succeeded else 'FAILED ' + str(r.error)}"
            for r in runs
        ]

    t0 = time.perf_counter()
    run = run_load(
        scenario,
        loaded.system,
        target="local",
        scale=scale,
        out_dir=out_dir,
        live=live,
        console=console,
        backend=backend,
        k6_path=k6_path,
        hooks=RunHooks(check=stops.check, stopped=stopped),
    )
    computed_s = time.perf_counter() - t0
    result = run.result
    n_base = len(scenario.faults) - len(experiment.method)
    journal = state.get("journal")
    faults: list[JsonObject] = []
    if isinstance(journal, list):
        for rec in journal:
            if rec.index >= n_base:
                faults.append(rec.model_dump(mode="json", by_alias=True))
    return observed_outcome(
        loaded,
        run,
        stops,
        computed_s,
        target="local",
        faults=faults,
        rollbacks=rollbacks,
        audit=[n for n in result.provenance.notes if n.startswith("audit")],
    )


def observed_outcome(
    loaded: LoadedExperiment,
    run: LoadRun,
    stops: Stops,
    computed_s: float,
    *,
    target: str,
    faults: list[JsonObject],
    rollbacks: list[ActivityRun],
    audit: list[str],
    stopped_elsewhere: tuple[str, float | None] | None = None,
) -> ChaosOutcome:
    """The outcome of a load the experiment ran under (local stack or staging): the hypothesis
    judged per phase on the observed series, the load's end (earlier when a stop condition
    tripped: ``stops``'s, else ``stopped_elsewhere``'s (what stopped it, epoch s)), the
    method's faults as injected, the rollbacks and the audit."""
    experiment, scenario = loaded.experiment, loaded.scenario
    phases = experiment_phases(experiment, scenario.duration_s)
    result = run.result
    tripped = stops.watch.tripped
    aborted = (tripped[0], tripped[1]) if tripped is not None else (None, None)
    verdict = judge_replication(experiment, phases, result.series, scenario.seed, aborted)
    probes = [
        ProbeOutcome(
            phase,
            probe.name,
            probe.tolerance,
            (verdict.readings[(phase.name, probe.name)],),
            recovery=probe.figure == RECOVERY_TIME,
        )
        for phase in phases
        for probe in experiment.steady_state_hypothesis.probes
    ]
    t0_epoch = result.provenance.started_at.timestamp()
    stop = experiment.stop_conditions[tripped[1]] if tripped is not None else None
    stopped_by = None if stop is None else f"{stop.probe}: {stop.tolerance} for {stop.for_s:g}s"
    tripped_epoch = stops.tripped_epoch_s
    if stopped_by is None and stopped_elsewhere is not None:
        stopped_by, tripped_epoch = stopped_elsewhere
    # The load ended when a stop condition tripped (k6 stopped then), else as planned.
    ended_s = (
        scenario.duration_s
        if tripped_epoch is None
        else min(scenario.duration_s, max(0.0, tripped_epoch - t0_epoch))
    )
    local = LocalRun(
        t0_epoch_s=t0_epoch,
        planned_s=scenario.duration_s,
        ended_s=ended_s,
        faults=faults,
        rollbacks=rollbacks,
        audit=audit,
        result_path=str(run.path),
        stopped_by=stopped_by,
    )
    return ChaosOutcome(
        loaded,
        result,
        phases,
        probes,
        [verdict],
        [],
        datetime.fromtimestamp(t0_epoch, UTC).isoformat(),
        computed_s,
        target=target,
        local=local,
    )
