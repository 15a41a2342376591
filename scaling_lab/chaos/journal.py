"""The experiment's journal in Chaos Toolkit's shape, so its reporting can read it.

Keys are the ones chaostoolkit-lib writes (``run.py``: ``chaoslib-version``, ``platform``,
``node``, ``experiment``, ``start``, ``end``, ``duration``, ``status``, ``deviated``,
``steady_states`` {``before``, ``after``, ``during``}, ``run``, ``rollbacks``; a steady state is
{``steady_state_met``, ``probes``}; an activity run is {``activity``, ``status``, ``start``,
``end``, ``duration``, ``output``}, with ``tolerance_met`` for a hypothesis probe and
``exception`` for a failed one). ``chaoslib-version`` is null: chaoslib did not run it;
``scaling-lab-version`` says what did.

A prediction has no wall-clock timeline of its own: times are the simulated run's, laid from
the moment the prediction was made (``start``), so a fault at ``at: 1m`` starts one minute
after ``start``. Every probe's ``output`` carries the prediction: value and excess (mean and
95 % interval over replications), in how many replications it held, and its first deviation.

A run on the local stack (``target: local``) has a clock: ``start`` is run time 0 (k6's start
mark), actions carry the governor's apply and rollback times and the calls they affected,
rollbacks what the governor answered, and ``scaling_lab.audit`` the data-loss audit.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib import metadata
from pathlib import Path

from scaling_lab.chaos.models import Action, Experiment, Probe, Rollback
from scaling_lab.chaos.outcome import ChaosOutcome, Interval, ProbeOutcome, Verdict
from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonObject, JsonValue

__all__ = ["ActivityStatus", "build_journal", "write_journal"]


class ActivityStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _version() -> str | None:
    try:
        return metadata.version("scaling-lab")
    except metadata.PackageNotFoundError:
        return None


def _provider(outcome: ChaosOutcome) -> JsonObject:
    return {
        "type": "process",
        "path": "scaling-lab",
        "arguments": f"chaos run {outcome.loaded.path} --target {outcome.target}",
    }


def _probe_activity(probe: Probe, outcome: ChaosOutcome) -> JsonObject:
    args: JsonObject = {"reads": probe.reads, "tolerance": probe.tolerance}
    return {
        "type": "probe",
        "name": probe.name,
        "tolerance": probe.tolerance,
        "provider": {**_provider(outcome), "scaling_lab": args},
    }


def _action_activity(action: Action, outcome: ChaosOutcome) -> JsonObject:
    fault = action.fault().model_dump(mode="json", by_alias=True, exclude_none=True)
    return {
        "type": "action",
        "name": action.name,
        "provider": {**_provider(outcome), "scaling_lab": {"kind": action.kind.value, **fault}},
    }


def _rollback_activity(rollback: Rollback, outcome: ChaosOutcome) -> JsonObject:
    return {
        "type": "action",
        "name": rollback.name,
        "provider": {
            **_provider(outcome),
            "scaling_lab": {"kind": rollback.kind.value, "target": rollback.target},
        },
    }


def _iv(value: Interval | None) -> JsonValue:
    if value is None:
        return None
    return {"mean": value.mean, "low": value.low, "high": value.high, "n": value.n}


def experiment_document(outcome: ChaosOutcome) -> JsonObject:
    """The experiment as Chaos Toolkit writes one, with scaling-lab's own under
    ``extensions``."""
    exp: Experiment = outcome.loaded.experiment
    hyp = exp.steady_state_hypothesis
    return {
        "version": "1.0.0",
        "title": exp.title,
        "description": exp.description,
        "tags": list(exp.tags),
        "steady-state-hypothesis": {
            "title": hyp.title,
            "probes": [_probe_activity(p, outcome) for p in hyp.probes],
        },
        "method": [_action_activity(a, outcome) for a in exp.method],
        "rollbacks": [_rollback_activity(r, outcome) for r in exp.rollbacks],
        "extensions": [
            {
                "name": "scaling-lab",
                "file": str(outcome.loaded.path),
                "scenario": str(outcome.loaded.scenario_path),
                "target": outcome.target,
                "result": f"{outcome.result.run_id}.json",
                "seeds": [v.seed for v in outcome.replications],
                "stop_conditions": [
                    s.model_dump(mode="json", by_alias=True) for s in exp.stop_conditions
                ],
                "experiment": exp.model_dump(mode="json", by_alias=True),
            }
        ],
    }


def _run(
    activity: JsonObject,
    start: datetime,
    end: datetime,
    status: ActivityStatus,
    output: JsonValue,
    **extra: JsonValue,
) -> JsonObject:
    return {
        "activity": activity,
        "status": status.value,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "duration": (end - start).total_seconds(),
        "output": output,
        **extra,
    }


def _probe_output(p: ProbeOutcome) -> JsonObject:
    return {
        "phase": p.phase.name,
        "verdict": p.verdict.value,
        "value": _iv(p.observed),
        "excess": _iv(p.excess),
        "first_deviation_s": _iv(p.first_deviation_s),
        "held_in": p.held_in,
        "deviated_in": p.deviated_in,
        "replications": len(p.readings),
        "reached_in": p.reached,
    }


def build_journal(outcome: ChaosOutcome) -> JsonObject:
    """The journal of a prediction (see the module docstring)."""
    t0 = datetime.fromisoformat(outcome.started_at)
    exp = outcome.loaded.experiment
    duration_s = outcome.loaded.scenario.duration_s
    if outcome.local is not None:
        duration_s = outcome.local.ended_s
    abort = outcome.abort_s
    aborts = [v.abort_s for v in outcome.replications if v.abort_s is not None]
    end_s = min([duration_s, *aborts])  # the earliest abort of any replication

    def at(seconds: float) -> datetime:
        return t0 + timedelta(seconds=seconds)

    def steady(kind: str, phase_name: str | None = None) -> JsonValue:
        outcomes = [
            p
            for p in outcome.probes
            if p.phase.kind == kind and (phase_name is None or p.phase.name == phase_name)
        ]
        if not outcomes or all(p.verdict is Verdict.NOT_REACHED for p in outcomes):
            return None
        runs: list[JsonValue] = []
        for p in outcomes:
            probe = exp.probe(p.probe)
            met: JsonValue = (
                None
                if p.verdict not in (Verdict.HELD, Verdict.DEVIATED)
                else p.verdict is Verdict.HELD
            )
            runs.append(
                _run(
                    _probe_activity(probe, outcome),
                    at(p.phase.start_s),
                    at(p.phase.end_s),
                    ActivityStatus.SUCCEEDED,
                    _probe_output(p),
                    tolerance_met=met,
                )
            )
        state: JsonObject = {"steady_state_met": outcome.met(outcomes), "probes": runs}
        if phase_name is not None:
            state["phase"] = phase_name
        return state

    if outcome.local is not None:
        return _local_journal(outcome, steady, at)
    method_runs: list[JsonValue] = []
    for action in exp.method:
        if action.name in outcome.unmodelled:
            method_runs.append(
                _run(
                    _action_activity(action, outcome),
                    at(action.at_s),
                    at(action.at_s),
                    ActivityStatus.FAILED,
                    None,
                    exception=[
                        f"the model does not model {action.kind.value} on {action.target}; "
                        "the prediction is of the load without this fault"
                    ],
                )
            )
            continue
        stop = min(action.end_s, end_s)
        method_runs.append(
            _run(
                _action_activity(action, outcome),
                at(action.at_s),
                at(max(action.at_s, stop)),
                ActivityStatus.SUCCEEDED,
                {
                    "injected": "model",
                    "fault": action.fault().model_dump(mode="json", by_alias=True),
                },
            )
        )
    rollback_runs: list[JsonValue] = [
        _run(
            _rollback_activity(r, outcome),
            at(end_s),
            at(end_s),
            ActivityStatus.SUCCEEDED,
            {
                "model": "the simulated world ends with the load: every fault of the method "
                "ended at its at + duration (or the run at the abort), nothing is left to "
                "restore"
            },
        )
        for r in exp.rollbacks
    ]
    during: list[JsonValue] = [steady("during", p.name) for p in outcome.phases if p.action]
    extra: JsonObject = {
        "scaling-lab-version": _version(),
        "target": "model",
        "replications": len(outcome.replications),
        "aborted_in": outcome.aborted_in,
        "abort_s": _iv(abort),
        "computed_s": outcome.computed_s,
    }
    return _document(
        outcome,
        t0,
        at(end_s),
        end_s,
        (steady("before"), during, steady("after")),
        method_runs,
        rollback_runs,
        extra,
    )


def _document(
    outcome: ChaosOutcome,
    start: datetime,
    end: datetime,
    duration_s: float,
    states: tuple[JsonValue, list[JsonValue], JsonValue],
    method_runs: list[JsonValue],
    rollback_runs: list[JsonValue],
    extra: JsonObject,
) -> JsonObject:
    """The journal's keys, in chaostoolkit-lib's order; ``states`` is (before, during each
    fault, after), unreached ``during`` phases (None) left out."""
    before, during, after = states
    return {
        "chaoslib-version": None,
        "platform": platform.platform(),
        "node": platform.node(),
        "experiment": experiment_document(outcome),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "duration": duration_s,
        "status": outcome.status.value,
        "deviated": outcome.deviated,
        "steady_states": {
            "before": before,
            "after": after,
            "during": [d for d in during if d is not None],
        },
        "run": method_runs,
        "rollbacks": rollback_runs,
        "scaling_lab": extra,
    }


def _epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _local_journal(
    outcome: ChaosOutcome,
    steady: Callable[..., JsonValue],
    at: Callable[[float], datetime],
) -> JsonObject:
    """The journal of a run on the local stack (see the module docstring)."""
    local = outcome.local
    assert local is not None
    exp = outcome.loaded.experiment
    n_base = len(outcome.loaded.scenario.faults) - len(exp.method)
    by_index = {r.get("index"): r for r in local.faults}
    method_runs: list[JsonValue] = []
    for i, action in enumerate(exp.method):
        rec = by_index.get(n_base + i)
        applied = rec.get("applied_epoch_s") if rec else None
        if rec is None or not isinstance(applied, int | float):
            continue  # not reached: the run ended before the action's start
        rolled = rec.get("rolled_back_epoch_s")
        end = _epoch(rolled) if isinstance(rolled, int | float) else at(local.ended_s)
        method_runs.append(
            _run(
                _action_activity(action, outcome),
                _epoch(applied),
                end,
                ActivityStatus.SUCCEEDED,
                {
                    "injected": rec.get("injected", "governor"),
                    "fault": action.fault().model_dump(mode="json", by_alias=True),
                    "affected_calls": rec.get("affected_calls"),
                    "rolled_back": isinstance(rolled, int | float),
                    **{k: v for k, v in rec.items() if k.startswith("fis_")},
                },
            )
        )
    rollback_runs: list[JsonValue] = []
    for r, rb in zip(local.rollbacks, exp.rollbacks, strict=False):
        extra: JsonObject = {} if r.error is None else {"exception": [r.error]}
        rollback_runs.append(
            _run(
                _rollback_activity(rb, outcome),
                _epoch(r.start_epoch_s),
                _epoch(r.end_epoch_s),
                ActivityStatus.SUCCEEDED if r.succeeded else ActivityStatus.FAILED,
                r.output,
                **extra,
            )
        )
    during: list[JsonValue] = [steady("during", p.name) for p in outcome.phases if p.action]
    aborted = local.stopped_by is not None
    scaling_lab: JsonObject = {
        "scaling-lab-version": _version(),
        "target": outcome.target,
        "planned_duration_s": local.planned_s,
        "ended_s": local.ended_s,
        "aborted": aborted,
        "stopped_by": local.stopped_by,
        "abort_s": outcome.replications[0].abort_s if outcome.replications else None,
        "audit": list(local.audit),
        "result": local.result_path,
        "computed_s": outcome.computed_s,
    }
    return _document(
        outcome,
        at(0.0),
        at(local.ended_s),
        local.ended_s,
        (steady("before"), during, steady("after")),
        method_runs,
        rollback_runs,
        scaling_lab,
    )


def write_journal(journal: JsonObject, dest: Path) -> Path:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(journal, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out: cannot write {dest}: {exc.strerror or exc}") from None
    return dest
