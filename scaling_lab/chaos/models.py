"""Typed experiment files: the load scenario, the steady-state hypothesis, the method (timed
faults), stop conditions and rollbacks.

A probe reads one thing over a stretch of the per-second series and judges it with a k6
threshold (``scaling_lab.scenario.thresholds``):

- ``endpoint:`` probes read the responses of an endpoint (``all``: every endpoint):
  ``avg min max med p(N)`` of the latency in ms (from the merged HDR histograms), ``rate`` the
  error rate, ``count`` the responses;
- ``figure:`` probes read a per-second figure (:data:`PROBE_FIGURES`): ``avg min max med
  p(N)`` over the seconds' values, ``count`` their sum, ``rate`` their sum per second,
  ``value`` the last second's. ``throughput`` is the successful responses of a second;
  ``recovery_time`` (``value`` only) the seconds from the end of the last fault until every
  other probe holds again, second by second, for ``hold``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from scaling_lab.aws.metrics import RESULT_FIGURES
from scaling_lab.scenario.limits import MAX_SEED
from scaling_lab.scenario.models import (
    FAULT_NEEDS,
    Duration,
    Endpoint,
    Fault,
    FaultKind,
    ThresholdExpr,
    storm_targets_lambda,
)
from scaling_lab.scenario.thresholds import parse_threshold

__all__ = [
    "PROBE_FIGURES",
    "RECOVERY_TIME",
    "THROUGHPUT",
    "Action",
    "ActionKind",
    "Experiment",
    "Hypothesis",
    "Probe",
    "Rollback",
    "RollbackKind",
    "StopCondition",
]

#: Successful responses (any endpoint) of a second.
THROUGHPUT = "throughput"
#: Seconds from the end of the last fault until the other probes hold again.
RECOVERY_TIME = "recovery_time"
#: Every figure a probe can read: the result's per-second figures and the two above.
PROBE_FIGURES: tuple[str, ...] = (*RESULT_FIGURES, THROUGHPUT, RECOVERY_TIME)

_ENDPOINT_AGGREGATIONS = ("avg", "min", "max", "med", "p", "rate", "count")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Name = Annotated[str, Field(min_length=1, max_length=80)]


class Probe(_Strict):
    """One probe of the steady-state hypothesis: what it reads and its tolerance."""

    name: Name
    endpoint: Endpoint | Literal["all"] | None = Field(
        None, description="read the responses of this endpoint (all: every endpoint)"
    )
    figure: str | None = Field(
        None,
        description="read this per-second figure instead: " + ", ".join(PROBE_FIGURES),
    )
    tolerance: ThresholdExpr = Field(
        description="k6 threshold the probe must meet, e.g. 'p(95)<100', 'rate<0.001', "
        "'max<=0'; 'over 10s' judges every 10-second window"
    )
    hold_s: Duration = Field(
        10.0, alias="hold", description="recovery_time: how long the others must hold again"
    )

    @model_validator(mode="after")
    def _reads_one_thing(self) -> Probe:
        if (self.endpoint is None) == (self.figure is None):
            raise ValueError("give exactly one of 'endpoint' or 'figure'")
        th = parse_threshold(self.tolerance)
        if self.endpoint is not None and th.aggregation not in _ENDPOINT_AGGREGATIONS:
            raise ValueError(
                f"tolerance {self.tolerance!r}: an endpoint probe reads avg, min, max, med, "
                "p(N) (latency ms), rate (errors) or count (responses); 'value' is for figures"
            )
        if self.figure is not None:
            if self.figure not in PROBE_FIGURES:
                raise ValueError(
                    f"figure {self.figure!r} is not a figure; expected one of "
                    + ", ".join(PROBE_FIGURES)
                )
            if self.figure == RECOVERY_TIME and (th.aggregation != "value" or th.window_s):
                raise ValueError(
                    f"tolerance {self.tolerance!r}: recovery_time is one number per run; "
                    "write it as 'value<120'"
                )
        return self

    @property
    def reads(self) -> str:
        """What the probe reads, as the journal and tables name it."""
        return f"endpoint {self.endpoint}" if self.endpoint is not None else str(self.figure)


def _one_probe_list(value: object) -> object:
    return {"probes": value} if isinstance(value, list) else value


class Hypothesis(_Strict):
    """The steady state: every probe must hold before, during and after the faults.
    ``steady_state_hypothesis: [...]`` is short for ``{probes: [...]}``."""

    title: str = Field("steady state", min_length=1, max_length=200)
    probes: list[Probe] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _names(self) -> Hypothesis:
        names = [p.name for p in self.probes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"probe names must be unique; given twice: {', '.join(dupes)}")
        if any(p.figure == RECOVERY_TIME for p in self.probes) and all(
            p.figure == RECOVERY_TIME for p in self.probes
        ):
            raise ValueError("recovery_time needs another probe: the one that must hold again")
        return self


class ActionKind(StrEnum):
    """A fault the method injects: every kind of the scenario ``faults:`` timeline, and
    ``backend_restart`` (the backend is down for ``duration``, then back: the timeline's
    ``backend_unreachable`` for that long)."""

    DYNAMODB_ERRORS = FaultKind.DYNAMODB_ERRORS.value
    ADDED_LATENCY = FaultKind.ADDED_LATENCY.value
    THROTTLE_STORM = FaultKind.THROTTLE_STORM.value
    SQS_UNAVAILABLE = FaultKind.SQS_UNAVAILABLE.value
    LAMBDA_ERRORS = FaultKind.LAMBDA_ERRORS.value
    BACKEND_UNREACHABLE = FaultKind.BACKEND_UNREACHABLE.value
    COLD_START_STORM = FaultKind.COLD_START_STORM.value
    BACKEND_RESTART = "backend_restart"


class Action(_Strict):
    """One fault of the method: injected at ``at`` for ``duration``, then rolled back."""

    name: Name
    kind: ActionKind
    at_s: Duration = Field(alias="at", description="start, from the start of the load")
    duration_s: Duration = Field(alias="duration", gt=0)
    target: Literal["dynamodb", "sqs", "lambda", "all"] = "dynamodb"
    rate: float | None = Field(None, ge=0, le=1, description="fraction of calls affected")
    latency_ms: float | None = Field(None, ge=0, le=900_000, description="added_latency")
    capacity_factor: float | None = Field(None, gt=0, le=1, description="throttle_storm")

    @model_validator(mode="before")
    @classmethod
    def _storm_on_lambda(cls, data: object) -> object:
        return storm_targets_lambda(data)

    @model_validator(mode="after")
    def _is_a_fault(self) -> Action:
        if self.kind is ActionKind.BACKEND_RESTART and self.target == "lambda":
            raise ValueError("backend_restart restarts a backend: target dynamodb, sqs or all")
        if self.kind is ActionKind.COLD_START_STORM and self.target != "lambda":
            raise ValueError("cold_start_storm recycles Lambda's environments: target lambda")
        need = FAULT_NEEDS.get(self.kind.value)
        if need and getattr(self, need) is None:
            raise ValueError(f"kind {self.kind.value!r} needs '{need}'")
        return self

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s

    def fault(self) -> Fault:
        """The entry of the scenario's fault timeline this action is."""
        kind = (
            FaultKind.BACKEND_UNREACHABLE
            if self.kind is ActionKind.BACKEND_RESTART
            else FaultKind(self.kind.value)
        )
        return Fault(
            kind=kind,
            at_s=self.at_s,
            duration_s=self.duration_s,
            target=self.target,
            rate=self.rate,
            latency_ms=self.latency_ms,
            capacity_factor=self.capacity_factor,
        )


class StopCondition(_Strict):
    """Abort the experiment when a probe, judged second by second against ``tolerance`` (the
    bound), breaks it for ``for`` consecutive seconds."""

    probe: Name = Field(description="name of a probe of the hypothesis")
    tolerance: ThresholdExpr = Field(description="the bound, e.g. 'rate<0.2'")
    for_s: Duration = Field(10.0, alias="for", ge=1, description="consecutive seconds")

    @model_validator(mode="after")
    def _per_second(self) -> StopCondition:
        if parse_threshold(self.tolerance).window_s is not None:
            raise ValueError(
                f"tolerance {self.tolerance!r}: a stop condition is judged per second for "
                "'for' seconds; drop 'over'"
            )
        return self


class RollbackKind(StrEnum):
    CLEAR_FAULTS = "clear_faults"  # end every fault of the method still active
    RESTORE_CAPACITY = "restore_capacity"  # DynamoDB capacity back to the system file's


class Rollback(_Strict):
    """Run after the method, or at once when a stop condition aborts the experiment."""

    name: Name
    kind: RollbackKind
    target: Literal["dynamodb", "sqs", "lambda", "all"] = "all"


class Experiment(_Strict):
    """One experiment file: a load scenario, a steady-state hypothesis, a method of timed
    faults, stop conditions and rollbacks."""

    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    scenario: str = Field(
        min_length=1,
        description="load scenario: a name (this file's folder, then the scenarios folder) "
        "or a path (relative to this file's folder)",
    )
    system: str | None = Field(None, description="system file (default: the scenario's)")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="default: the scenario's")
    steady_state_hypothesis: Annotated[Hypothesis, BeforeValidator(_one_probe_list)]
    method: list[Action] = Field(min_length=1, max_length=50)
    stop_conditions: list[StopCondition] = Field(default_factory=list, max_length=20)
    rollbacks: list[Rollback] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _references(self) -> Experiment:
        names = [a.name for a in self.method]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"method: action names must be unique; given twice: {dupes}")
        probes = [p.name for p in self.steady_state_hypothesis.probes]
        for i, stop in enumerate(self.stop_conditions):
            if stop.probe not in probes:
                raise ValueError(
                    f"stop_conditions[{i}].probe: {stop.probe!r} names no probe; probes: {probes}"
                )
            probe = self.steady_state_hypothesis.probes[probes.index(stop.probe)]
            if probe.figure == RECOVERY_TIME:
                raise ValueError(
                    f"stop_conditions[{i}].probe: {stop.probe!r} is recovery_time, known only "
                    "at the end; a stop condition needs a per-second probe"
                )
        return self

    def probe(self, name: str) -> Probe:
        return next(p for p in self.steady_state_hypothesis.probes if p.name == name)

    @property
    def first_fault_s(self) -> float:
        return min(a.at_s for a in self.method)

    @property
    def last_fault_end_s(self) -> float:
        return max(a.end_s for a in self.method)
