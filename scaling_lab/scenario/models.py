"""Typed scenario files: traffic shape, request mix, payloads, thresholds, recovery SLO, faults."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from scaling_lab.scenario.durations import parse_duration
from scaling_lab.scenario.limits import MAX_DURATION_S, MAX_RATE_PER_S, MAX_SEED, MAX_TRAFFIC_S
from scaling_lab.scenario.shape import Segment, build_segments, rate_at
from scaling_lab.scenario.thresholds import parse_threshold

__all__ = [
    "ENDPOINTS",
    "FAULT_NEEDS",
    "AbortConfig",
    "ArrivalProcess",
    "Endpoint",
    "Fault",
    "FaultKind",
    "InboxConfig",
    "KeySkew",
    "Keys",
    "Mix",
    "PayloadConfig",
    "RampKind",
    "RecoverySLO",
    "Scenario",
    "Stage",
    "Traffic",
    "storm_targets_lambda",
]


class Endpoint(StrEnum):
    """The Triggers API endpoints a scenario can load."""

    POST_EVENTS = "post_events"  # POST /v1/events
    GET_INBOX = "get_inbox"  # GET /v1/inbox
    ACK = "ack"  # POST /v1/events/{id}/ack


ENDPOINTS: tuple[Endpoint, ...] = tuple(Endpoint)


def _duration(value: object) -> object:
    if isinstance(value, bool):  # YAML's true/false would otherwise be read as 1 s / 0 s
        raise ValueError(f"expected a duration like '30s' or '2m', got {str(value).lower()}")
    if isinstance(value, str | int | float):
        return parse_duration(value)
    return value


Duration = Annotated[float, BeforeValidator(_duration), Field(ge=0, le=MAX_DURATION_S)]
"""Seconds; written in files as "30s", "2m", "1m30s" (see scenario.durations); at most 7 days."""

Rate = Annotated[float, Field(ge=0, le=MAX_RATE_PER_S)]
"""Requests per second (see scenario.limits)."""


def _threshold(value: str) -> str:
    parse_threshold(value)
    return value


ThresholdExpr = Annotated[str, AfterValidator(_threshold)]
"""A k6 threshold expression such as ``p(95)<100`` (see scenario.thresholds)."""


def _per_second(value: str) -> str:
    if parse_threshold(value).window_s is not None:
        raise ValueError(f"{value!r}: recovery conditions are judged per second; drop 'over ...'")
    return value


SecondExpr = Annotated[str, AfterValidator(_threshold), AfterValidator(_per_second)]
"""A threshold judged on one second (recovery conditions): no ``over`` window."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RampKind(StrEnum):
    LINEAR = "linear"  # k6 ramping-arrival-rate: linear from the previous target
    STEP = "step"  # jump to target at the start of the stage, then hold


class Stage(_Strict):
    """One k6 ``ramping-arrival-rate`` stage: reach ``target`` req/s over ``duration``."""

    duration_s: Duration = Field(alias="duration", description="stage length, e.g. '30s', '2m'")
    target: Rate = Field(description="arrival rate (requests/s) at the end of the stage")
    ramp: RampKind = Field(RampKind.LINEAR, description="linear ramp (k6) or instant step")
    name: str | None = Field(None, description="label used by recovery.spike and reports")


class ArrivalProcess(StrEnum):
    """How the model places arrivals in time (k6 itself always spaces them evenly). Unset in
    the scenario, the target decides: a prediction of a k6 run (``verify``, ``predict
    --arrivals even``) uses ``even``; ``predict`` on its own models production traffic,
    ``poisson``. Every predicted result records the one it used (``provenance.arrivals``)."""

    POISSON = "poisson"  # independent arrivals, as production traffic
    EVEN = "even"  # k6 arrival-rate executors: the i-th arrival when the rate's integral is i


class Traffic(_Strict):
    """Open-model arrival rate over time (no coordinated omission)."""

    start_rate: Rate = Field(0, description="rate at t=0 (k6 startRate), requests/s")
    stages: list[Stage] = Field(min_length=1)
    arrivals: ArrivalProcess | None = Field(
        None,
        description="the model's arrival process: poisson or even (k6); unset: even when "
        "predicting a k6 run (verify), poisson for predict on its own",
    )

    def arrivals_or(self, default: ArrivalProcess) -> ArrivalProcess:
        """The scenario's arrival process, or ``default`` (the target's) when unset."""
        return self.arrivals if self.arrivals is not None else default

    @model_validator(mode="after")
    def _bounded_length(self) -> Traffic:
        if self.duration_s <= 0:
            raise ValueError("stages last 0 s in all; a run needs a stage longer than 0 s")
        if self.duration_s > MAX_TRAFFIC_S:
            raise ValueError(
                f"stages last {self.duration_s:,.0f} s in all; at most {MAX_TRAFFIC_S:,.0f} s "
                "(one day: results keep one row per second)"
            )
        return self

    @property
    def segments(self) -> list[Segment]:
        return build_segments(
            self.start_rate, [(s.duration_s, s.target, s.ramp) for s in self.stages]
        )

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.stages)

    @property
    def peak_rate(self) -> float:
        return max([self.start_rate, *(s.target for s in self.stages)])

    def rate_at(self, t_s: float) -> float:
        """Total arrival rate (requests/s) at scenario time ``t_s``; 0 outside the run."""
        return rate_at(self.segments, t_s)

    def total_requests(self) -> float:
        """Expected number of requests (the integral of rate_at)."""
        return sum(seg.area() for seg in self.segments)

    def stage_start_s(self, name: str) -> float:
        t = 0.0
        for s in self.stages:
            if s.name == name:
                return t
            t += s.duration_s
        raise KeyError(name)


class Mix(_Strict):
    """Share of the arrival rate going to each endpoint (weights, any positive scale)."""

    post_events: float = Field(1.0, ge=0)
    get_inbox: float = Field(0.0, ge=0)
    ack: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> Mix:
        if self.post_events + self.get_inbox + self.ack <= 0:
            raise ValueError("weights sum to 0; give at least one endpoint a positive weight")
        return self

    def fractions(self) -> dict[Endpoint, float]:
        total = self.post_events + self.get_inbox + self.ack
        raw = {
            Endpoint.POST_EVENTS: self.post_events,
            Endpoint.GET_INBOX: self.get_inbox,
            Endpoint.ACK: self.ack,
        }
        return {e: w / total for e, w in raw.items() if w > 0}


class KeySkew(StrEnum):
    UNIFORM = "uniform"  # every tenant the same share
    ZIPF = "zipf"  # tenant i (1-based) gets a share proportional to 1 / i^exponent


class Keys(_Strict):
    """How the traffic spreads over tenants: one API key each, and one partition key value on
    the table and on every index keyed by tenant. The story's load test uses one key."""

    tenants: int = Field(1, ge=1, le=100_000, description="API keys (tenants) the load uses")
    skew: KeySkew = Field(KeySkew.UNIFORM, description="uniform, or zipf over the tenants")
    zipf_exponent: float = Field(1.0, gt=0, le=10, allow_inf_nan=False)

    def shares(self) -> list[float]:
        """Share of the traffic of each tenant, largest first (sums to 1)."""
        if self.skew is KeySkew.UNIFORM:
            return [1.0 / self.tenants] * self.tenants
        w = [1.0 / (i**self.zipf_exponent) for i in range(1, self.tenants + 1)]
        total = sum(w)
        return [x / total for x in w]


# A payload cannot be larger than DynamoDB's largest item and be stored: the rulebook's
# DYNAMODB_MAX_ITEM_BYTES (not imported here: the rulebook depends on these models; a test
# keeps the two equal).
MAX_PAYLOAD_BYTES = 400 * 1024
# The API's body limit (emulator/app/settings.py) and SQS's largest message, which bounds it.
MAX_BODY_BYTES = 200_000
SQS_MESSAGE_BYTES = 262_144


class SizeRange(_Strict):
    min: int = Field(500, ge=2, le=MAX_PAYLOAD_BYTES)
    max: int = Field(800, ge=2, le=MAX_PAYLOAD_BYTES)

    @model_validator(mode="after")
    def _ordered(self) -> SizeRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class PayloadConfig(_Strict):
    """Event bodies: realistic JSON whose serialized size is uniform in [min, max] bytes."""

    size_bytes: SizeRange = Field(default_factory=SizeRange)
    event_types: list[str] = Field(
        default_factory=lambda: ["order.created", "order.paid", "user.signed_up", "invoice.sent"],
        min_length=1,
    )
    # The API answers 413 to a larger body (emulator/app/settings.py DEFAULT_MAX_BODY_BYTES;
    # a test keeps the two equal); its message must fit one SQS message, 256 KiB (the
    # rulebook's SQS_MAX_MESSAGE_BYTES).
    max_body_bytes: int = Field(
        MAX_BODY_BYTES,
        gt=0,
        le=SQS_MESSAGE_BYTES,
        description="the API's body size limit (413 above); the payload must stay within it",
    )

    @model_validator(mode="after")
    def _within_the_body_limit(self) -> PayloadConfig:
        if self.size_bytes.max > self.max_body_bytes:
            raise ValueError(
                f"size_bytes.max: {self.size_bytes.max} bytes is over max_body_bytes "
                f"({self.max_body_bytes}), the API's body limit: it answers 413 to such events, "
                "which a prediction does not model; keep the payload within the limit"
            )
        return self

    @property
    def mean_size_bytes(self) -> float:
        return (self.size_bytes.min + self.size_bytes.max) / 2


class InboxConfig(_Strict):
    backlog_events: int = Field(0, ge=0, description="undelivered events prefilled before the run")
    page_limit: int = Field(50, ge=1, le=100)
    pages: list[Annotated[int, Field(ge=1, le=10_000)]] = Field(
        default_factory=lambda: [1], description="cursor pages to read (1 = the first)"
    )


class RecoverySLO(_Strict):
    """When the spike starts, what "recovered" means, how long it must hold, and the deadline."""

    spike: str = Field(description="name of the stage that is the spike")
    condition: list[SecondExpr] = Field(
        default_factory=lambda: ["p(95)<100"],
        description="k6 thresholds every second must meet (latency over 'endpoint')",
    )
    endpoint: Endpoint | Literal["all"] = "all"
    max_error_rate: float = Field(0.001, ge=0, le=1, description="per-second error rate allowed")
    hold_s: Duration = Field(10.0, alias="hold", description="condition must hold this long")
    deadline_s: Duration = Field(120.0, alias="deadline", description="recovery must happen by")


class FaultKind(StrEnum):
    DYNAMODB_ERRORS = "dynamodb_errors"  # InternalServerError on a fraction of calls
    ADDED_LATENCY = "added_latency"  # extra latency on a backend's calls
    THROTTLE_STORM = "throttle_storm"  # provisioned capacity forced down
    SQS_UNAVAILABLE = "sqs_unavailable"
    LAMBDA_ERRORS = "lambda_errors"  # function errors (500) on a fraction of invocations
    BACKEND_UNREACHABLE = "backend_unreachable"
    COLD_START_STORM = "cold_start_storm"  # Lambda's environments recycled (target lambda)


#: The field each fault kind cannot do without (fault entries and chaos actions alike).
FAULT_NEEDS: dict[str, str] = {
    FaultKind.DYNAMODB_ERRORS.value: "rate",
    FaultKind.LAMBDA_ERRORS.value: "rate",
    FaultKind.ADDED_LATENCY.value: "latency_ms",
    FaultKind.THROTTLE_STORM.value: "capacity_factor",
}


def storm_targets_lambda(data: object) -> object:
    """A cold-start storm acts on Lambda: its ``target`` defaults to lambda (a fault entry's,
    or a chaos method action's, as written)."""
    if isinstance(data, dict) and data.get("kind") == FaultKind.COLD_START_STORM.value:
        return {"target": "lambda", **data}
    return data


class Fault(_Strict):
    """One entry of the ``faults:`` timeline, rolled back at ``at + duration``."""

    kind: FaultKind
    at_s: Duration = Field(alias="at")
    duration_s: Duration = Field(alias="duration")
    target: Literal["dynamodb", "sqs", "lambda", "all"] = "dynamodb"
    rate: float | None = Field(None, ge=0, le=1, description="fraction of calls affected")
    # At most 900 s, the longest a Lambda invocation can last (its maximum timeout:
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
    latency_ms: float | None = Field(None, ge=0, le=900_000)
    capacity_factor: float | None = Field(None, gt=0, le=1, description="throttle_storm factor")

    @model_validator(mode="before")
    @classmethod
    def _storm_on_lambda(cls, data: object) -> object:
        return storm_targets_lambda(data)

    @model_validator(mode="after")
    def _needs(self) -> Fault:
        need = FAULT_NEEDS.get(self.kind.value)
        if need and getattr(self, need) is None:
            raise ValueError(f"fault kind {self.kind.value!r} needs '{need}'")
        if self.kind is FaultKind.COLD_START_STORM and self.target != "lambda":
            raise ValueError(
                "fault kind 'cold_start_storm' recycles Lambda's environments: target lambda"
            )
        return self


def _no_window(value: str) -> str:
    if parse_threshold(value).window_s is not None:
        raise ValueError(f"{value!r}: abort conditions are judged on the run so far; drop 'over'")
    return value


def _abort_list(value: object) -> object:
    return {"conditions": value} if isinstance(value, list) else value


class AbortConfig(_Strict):
    """Stop a run that is failing badly, like k6's ``abortOnFail``: when any condition fails
    on the run so far (all endpoints), k6 is stopped and the partial result is kept.
    ``abort: ["rate<0.2"]`` is short for ``abort: {conditions: ["rate<0.2"]}``."""

    conditions: list[Annotated[str, AfterValidator(_threshold), AfterValidator(_no_window)]] = (
        Field(min_length=1, description="k6 thresholds the run so far must meet")
    )
    delay_s: Duration = Field(
        10.0, alias="delay", description="judged only after this long (k6 delayAbortEval)"
    )


class Scenario(_Strict):
    """One scenario file: what load to offer and what "passing" means."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    system: str = Field("staging", description="system file name under scenarios/systems")
    seed: int = Field(42, ge=0, le=MAX_SEED)
    scale: float = Field(1.0, gt=0, le=1000, description="multiplies every rate and capacity")
    traffic: Traffic
    mix: Mix = Field(default_factory=Mix)
    payload: PayloadConfig = Field(default_factory=PayloadConfig)
    inbox: InboxConfig = Field(default_factory=InboxConfig)
    keys: Keys = Field(default_factory=Keys)
    thresholds: dict[Endpoint | Literal["all"], list[ThresholdExpr]] = Field(default_factory=dict)
    recovery: RecoverySLO | None = None
    faults: list[Fault] = Field(default_factory=list)
    abort: Annotated[AbortConfig | None, BeforeValidator(_abort_list)] = Field(
        None, description="stop a k6 run early when it fails badly (run only)"
    )
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spike_exists(self) -> Scenario:
        if self.peak_rate > MAX_RATE_PER_S:
            raise ValueError(
                f"peak rate {self.peak_rate:,.0f} req/s (targets x scale {self.scale:g}) is above "
                f"{MAX_RATE_PER_S:,.0f} req/s"
            )
        if self.recovery is not None:
            names = [s.name for s in self.traffic.stages if s.name]
            if self.recovery.spike not in names:
                raise ValueError(
                    f"recovery.spike {self.recovery.spike!r} names no stage; stage names: {names}"
                )
        for f in self.faults:
            if f.at_s >= self.traffic.duration_s:
                raise ValueError(f"fault {f.kind.value!r} starts after the traffic ends")
        return self

    def rate_at(self, t_s: float, endpoint: Endpoint | None = None) -> float:
        """Arrival rate (req/s) at ``t_s``, total or for one endpoint, at this scenario's scale."""
        total = self.traffic.rate_at(t_s) * self.scale
        if endpoint is None:
            return total
        return total * self.mix.fractions().get(endpoint, 0.0)

    @property
    def duration_s(self) -> float:
        return self.traffic.duration_s

    @property
    def peak_rate(self) -> float:
        return self.traffic.peak_rate * self.scale

    def total_requests(self) -> float:
        return self.traffic.total_requests() * self.scale

    def spike_start_s(self) -> float | None:
        if self.recovery is None:
            return None
        return self.traffic.stage_start_s(self.recovery.spike)

    def scaled(self, k: float) -> Scenario:
        """A copy whose rates are multiplied by ``k`` (on top of the file's own scale),
        validated like the file (a result holding it must be readable again);
        :class:`~scaling_lab.errors.InputError` when the peak leaves what the engines take."""
        from pydantic import ValidationError

        from scaling_lab.errors import InputError

        if not (math.isfinite(k) and k > 0) or self.peak_rate * k > MAX_RATE_PER_S:
            peak = self.peak_rate * k
            shown = f"{peak:,.0f}" if math.isfinite(peak) and peak < 1e15 else f"{peak:.3g}"
            raise InputError(
                f"scale x{k:g}: peak {shown} req/s; expected a factor > 0 "
                f"that keeps the peak at most {MAX_RATE_PER_S:,.0f} req/s"
            )
        copy = self.model_copy(update={"scale": self.scale * k})
        try:
            return Scenario.model_validate(copy.model_dump(by_alias=True))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InputError(
                f"scale x{k:g}: {where}: {first['msg']} (got {first.get('input')!r})"
            ) from None

    def with_arrivals(self, arrivals: ArrivalProcess) -> Scenario:
        """A copy whose model arrival process is ``arrivals``."""
        return self.model_copy(
            update={"traffic": self.traffic.model_copy(update={"arrivals": arrivals})}
        )
