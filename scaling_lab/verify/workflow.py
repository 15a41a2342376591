"""``verify`` as a library workflow: predict -> run -> compare -> calibrate -> compare again.

``verify(scenario, options, listener)`` returns a typed ``VerifyOutcome``; the listener hears
each stage as it happens (the CLI renders them, a notebook can ignore them). Policy lives
here, not in the CLI: which arrivals the prediction uses, what the target changes in the
system, when calibration runs, which phase it is fitted on and so is not judged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from scaling_lab.compare import Comparison, Tolerances, compare, load_tolerances, phases_of
from scaling_lab.errors import ScalingLabError
from scaling_lab.result.models import RunResult
from scaling_lab.scenario.models import ArrivalProcess, Scenario
from scaling_lab.system.models import SystemConfig

__all__ = [
    "LOCAL_THROTTLED_CALL_MS",
    "NullListener",
    "VerifyListener",
    "VerifyOptions",
    "VerifyOutcome",
    "VerifyPlan",
    "for_target",
    "verify",
]

# The local stack refuses a throttled DynamoDB call in botocore's before-send hook: nothing is
# sent, the SDK's sleep starts at once (emulator/governor/ddb.py).
LOCAL_THROTTLED_CALL_MS = 0.0


def for_target(system: SystemConfig, target: str) -> SystemConfig:
    """The system as the run's target serves it: locally a throttled call takes no round trip
    (unless the system file sets ``dynamodb.throttled_call_ms`` itself)."""
    if target != "local" or "throttled_call_ms" in system.dynamodb.model_fields_set:
        return system
    ddb = system.dynamodb.model_copy(update={"throttled_call_ms": LOCAL_THROTTLED_CALL_MS})
    return system.model_copy(update={"dynamodb": ddb})


@dataclass(frozen=True)
class VerifyOptions:
    target: str = "local"  # 'local' or a staging URL
    scale: str = "auto"  # a factor, or 'auto' (local: what this machine sustains)
    system: str | None = None  # system file or name (default: the scenario's)
    overrides: tuple[str, ...] = ()  # --set path=value on the system
    seed: int | None = None
    runs: int = 10  # model replications; 1 = fixed tolerances
    out_dir: Path = Path("runs")
    backend: str = "embedded"
    api_key: str | None = None
    yes: bool = False
    tolerances: Path | None = None
    calibrate: bool | None = None  # None: on for a local target


@dataclass(frozen=True)
class VerifyPlan:
    """What is about to run (told to the listener before anything starts)."""

    scenario: Scenario  # scaled
    base_peak_rate_per_s: float
    scale: float
    target: str
    system: SystemConfig
    run_dir: Path
    arrivals: ArrivalProcess


class VerifyListener(Protocol):
    def planned(self, plan: VerifyPlan) -> None: ...
    def stage(self, title: str) -> None: ...
    def note(self, text: str) -> None: ...
    def result(self, result: RunResult) -> None: ...
    def judged(self, label: str, cmp: Comparison, *, final: bool) -> None: ...
    def calibrated(self, key: str, source: str) -> None: ...


class NullListener:
    """Hears nothing."""

    def planned(self, plan: VerifyPlan) -> None:
        pass

    def stage(self, title: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def result(self, result: RunResult) -> None:
        pass

    def judged(self, label: str, cmp: Comparison, *, final: bool) -> None:
        pass

    def calibrated(self, key: str, source: str) -> None:
        pass


@dataclass
class VerifyOutcome:
    plan: VerifyPlan
    predicted: RunResult  # the prediction judged last (calibrated when calibration ran)
    observed: RunResult
    first: Comparison  # the model as given
    final: Comparison  # after calibration, or ``first``
    label: str  # "uncalibrated" or "calibrated on the <phase> phase"
    runs: int
    fitted: dict[str, str] = field(default_factory=dict)
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def calibrated(self) -> bool:
        return self.final is not self.first

    @property
    def passed(self) -> bool:
        return self.final.passed

    def verdict_doc(self) -> dict[str, object]:
        """``verdict.json``."""

        def misses(cmp: Comparison) -> list[dict[str, object]]:
            return [
                {
                    "figure": ln.figure,
                    "phase": ln.phase,
                    "predicted": ln.predicted,
                    "observed": ln.observed,
                    "allowed": ln.allowed,
                }
                for ln in cmp.failed
            ]

        return {
            "scenario": self.plan.scenario.name,
            "scale": self.plan.scale,
            "target": self.plan.target,
            "run_dir": str(self.plan.run_dir),
            "predicted": self.predicted.run_id,
            "observed": self.observed.run_id,
            "model_agrees": self.final.passed,
            "model_agrees_before_calibration": self.first.passed,
            "calibrated": self.calibrated,
            "judged": self.final.describe(),
            "replications": self.runs,
            "arrivals": self.plan.arrivals.value,
            "observed_thresholds_passed": self.observed.summary.thresholds_passed,
            "out_of_tolerance": misses(self.final),
            "out_of_tolerance_before_calibration": misses(self.first),
            "notes": list(self.notes),
        }


def _plan(scenario: str, options: VerifyOptions) -> VerifyPlan:
    from scaling_lab.inputs import load_inputs
    from scaling_lab.load.plan import normalize_target
    from scaling_lab.load.scale import local_budget, resolve_scale

    normalize_target(options.target)  # a bad URL or port before the prediction, not after
    inputs = load_inputs(scenario, options.system, options.overrides)
    sc = inputs.scenario
    system = for_target(inputs.system, options.target)
    # 'auto' scales only local runs; staging runs the scenario as written unless told.
    if options.target != "local" and options.scale == "auto":
        k = 1.0
    else:
        budget = local_budget(options.scale, options.target, options.backend)
        k = resolve_scale(options.scale, sc.peak_rate, budget)
    scaled = sc.scaled(k) if k != 1 else sc
    if options.seed is not None:
        scaled = scaled.model_copy(update={"seed": options.seed})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return VerifyPlan(
        scenario=scaled,
        base_peak_rate_per_s=sc.peak_rate,
        scale=k,
        target=options.target,
        system=system,
        run_dir=options.out_dir / f"{stamp}-verify-{sc.name}",
        # k6's arrival-rate executors space arrivals evenly: predict that unless told
        arrivals=scaled.traffic.arrivals_or(ArrivalProcess.EVEN),
    )


def verify(
    scenario: str, options: VerifyOptions | None = None, listener: VerifyListener | None = None
) -> VerifyOutcome:
    """Predict ``scenario`` (name or file), run it on the target, compare, calibrate on the
    phase before the spike and compare again where it was not fitted; write the run folder
    (predicted/observed results, compare.md, plots, verdict.json) and record the runs in the
    history (a history that cannot be written is a note, not a failure)."""
    from scaling_lab.compare import comparison_markdown, plot_comparison
    from scaling_lab.load import run_load
    from scaling_lab.model import predict
    from scaling_lab.result.io import save_result

    options = options or VerifyOptions()
    hear: VerifyListener = listener or NullListener()
    tol: Tolerances = load_tolerances(options.tolerances)
    plan = _plan(scenario, options)
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    hear.planned(plan)
    sc, notes = plan.scenario, []

    hear.stage("1/4 predict")
    predicted = predict(sc, plan.system, seed=sc.seed, arrivals=plan.arrivals, runs=options.runs)
    save_result(predicted, plan.run_dir / "predicted.json")
    hear.result(predicted)

    hear.stage("2/4 run (k6)")
    run = run_load(
        sc,
        plan.system,
        target=options.target,
        api_key=options.api_key,
        out_dir=plan.run_dir,
        backend=options.backend,
        yes=options.yes,
    )
    # The runner already wrote the result into the run folder; give it the folder's name.
    run.path.replace(plan.run_dir / "observed.json")
    observed: RunResult = run.result
    hear.result(observed)

    hear.stage("3/4 compare")
    first = compare(predicted, observed, tol)
    for note in first.notes:
        hear.note(note)
    final, label, fitted = first, "uncalibrated", {}
    calibrate_on = options.calibrate if options.calibrate is not None else plan.target == "local"
    fit_phase = phases_of(observed)[0]
    if calibrate_on and fit_phase.name != "before":
        notes.append(
            "not calibrated: the scenario has no phase before its spike to fit on that the "
            "comparison would not also judge; the verdict is the uncalibrated model's"
        )
        hear.note(notes[-1])
        calibrate_on = False
    hear.judged("model as given", first, final=not calibrate_on)
    if calibrate_on:
        from scaling_lab.compare.calibrate import calibrate, write_system_file

        cal = calibrate(observed, plan.system)
        write_system_file(cal, plan.run_dir / "calibrated.yaml", f"run {observed.run_id}")
        fitted = dict(cal.fitted)
        for key, source in fitted.items():
            hear.calibrated(key, source)
        if fitted:
            predicted = predict(
                sc, cal.system, seed=sc.seed, arrivals=plan.arrivals, runs=options.runs
            )
            save_result(predicted, plan.run_dir / "predicted-calibrated.json")
            # judged only where it was not fitted: service times come from the phase before
            # the spike, auto-scaling delays from the observed scale-out
            fitted_delays = any("auto_scaling" in key for key in fitted)
            final = compare(
                predicted,
                observed,
                tol,
                exclude_phases=(fit_phase.name,),
                exclude_figures=("first_scale_out_s",) if fitted_delays else (),
            )
            label = f"calibrated on the {fit_phase.name} phase"
            hear.judged(label, final, final=True)
        else:
            notes.append("nothing could be calibrated from this run")
            hear.note(notes[-1])
    markdown = comparison_markdown(final)
    if final is not first:
        markdown += "\n## Before calibration\n" + comparison_markdown(first).split("\n", 1)[1]
    (plan.run_dir / "compare.md").write_text(markdown, encoding="utf-8")
    plots = plot_comparison(final, plan.run_dir)

    hear.stage("4/4 report")
    outcome = VerifyOutcome(
        plan=plan,
        predicted=predicted,
        observed=observed,
        first=first,
        final=final,
        label=label,
        runs=options.runs,
        fitted=fitted,
        plots=plots,
        notes=notes,
    )
    history_note = _record_history(predicted, observed)
    if history_note:
        outcome.notes.append(history_note)
        hear.note(history_note)
    doc = json.dumps(outcome.verdict_doc(), indent=2)
    (plan.run_dir / "verdict.json").write_text(doc, encoding="utf-8")
    return outcome


def _record_history(*results: RunResult) -> str | None:
    """Record results in the run history; why not, when it cannot be written."""
    from scaling_lab.store import record_result

    try:
        for r in results:
            record_result(r)
    except ScalingLabError as exc:
        return f"not recorded in the run history: {exc}"
    return None
