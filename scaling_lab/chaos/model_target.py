"""``chaos run --target model``: predict the experiment's scenario with the method's faults on
its timeline, over ``runs`` replications, and judge the hypothesis on each replication's
per-second series."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from scaling_lab.chaos.hypothesis import ReplicationVerdict, experiment_phases, judge_replication
from scaling_lab.chaos.loader import LoadedExperiment
from scaling_lab.chaos.models import RECOVERY_TIME
from scaling_lab.chaos.outcome import ChaosOutcome, ProbeOutcome
from scaling_lab.model.faults import FaultPlan
from scaling_lab.model.predict import Mode, predict
from scaling_lab.result.models import RunResult

__all__ = ["run_on_model"]


def run_on_model(
    loaded: LoadedExperiment,
    *,
    runs: int = 1,
    seed: int | None = None,
    mode: Mode | str = Mode.FAST,
    arrivals: str | None = None,
    progress: Callable[[float], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ChaosOutcome:
    """Predict the experiment; ``seed`` defaults to the experiment's, else the scenario's
    (replication ``i`` uses ``seed + i``, as ``predict --runs``); ``arrivals`` as predict's."""
    experiment = loaded.experiment
    scenario = loaded.scenario
    phases = experiment_phases(experiment, scenario.duration_s)
    base_seed = scenario.seed if seed is None else seed
    verdicts: list[ReplicationVerdict] = []

    def judge(i: int, result: RunResult) -> None:
        verdicts.append(judge_replication(experiment, phases, result.series, base_seed + i))

    started = clock()
    t0 = time.perf_counter()
    result = predict(
        scenario,
        loaded.system,
        seed=base_seed,
        runs=runs,
        mode=mode,
        arrivals=arrivals,
        progress=progress,
        each=judge,
    )
    computed_s = time.perf_counter() - t0
    probes = [
        ProbeOutcome(
            phase,
            probe.name,
            probe.tolerance,
            tuple(v.readings[(phase.name, probe.name)] for v in verdicts),
            recovery=probe.figure == RECOVERY_TIME,
        )
        for phase in phases
        for probe in experiment.steady_state_hypothesis.probes
    ]
    unmodelled = [a.name for a in experiment.method if FaultPlan([a.fault()]).unmodelled]
    return ChaosOutcome(
        loaded,
        result,
        phases,
        probes,
        verdicts,
        unmodelled,
        started.isoformat(),
        computed_s,
    )
