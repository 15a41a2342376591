"""RunResult: the one schema every path (predict, emulate, staging) writes.

Anything a path cannot observe is ``None`` (null in JSON), never 0.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_serializer, field_validator

from scaling_lab.aws.throttles import ThrottleCause
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.scenario.models import Fault, Scenario
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.scaling import scale_system

__all__ = [
    "SCHEMA_VERSION",
    "EndpointSecond",
    "EndpointSummary",
    "ErrorClass",
    "ErrorCounts",
    "Percentiles",
    "Provenance",
    "RecoveryVerdict",
    "ResultKind",
    "RunResult",
    "SecondSample",
    "Summary",
    "ThresholdVerdict",
]

SCHEMA_VERSION = 1


class ResultKind(StrEnum):
    PREDICTED = "predicted"
    OBSERVED = "observed"


class ErrorClass(StrEnum):
    """How a failed request is counted. ``throttled`` = HTTP 429; ``timeout`` = no response."""

    THROTTLED = "throttled"
    SERVER = "server"  # 5xx
    TIMEOUT = "timeout"
    CLIENT = "client"  # 4xx other than 429


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorCounts(_M):
    throttled: int = 0
    server: int = 0
    timeout: int = 0
    client: int = 0

    @property
    def total(self) -> int:
        return self.throttled + self.server + self.timeout + self.client

    def add(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(
            throttled=self.throttled + other.throttled,
            server=self.server + other.server,
            timeout=self.timeout + other.timeout,
            client=self.client + other.client,
        )


class Percentiles(_M):
    """Latency in milliseconds, from an HDR histogram."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


class EndpointSecond(_M):
    """One endpoint's second. Its histogram is ``hdr`` (the encoded text, as stored); a second
    the model built keeps a small histogram in memory and encodes it only when ``hdr`` is read
    or the result is written (a day-long run has tens of thousands of such seconds)."""

    requests: int = 0  # responses completed in this second (any status)
    errors: ErrorCounts = Field(default_factory=ErrorCounts)
    latency_ms: Percentiles = Field(default_factory=Percentiles)
    hdr_text: str | None = Field(
        None, alias="hdr", description="encoded HDR histogram of this second (us)"
    )
    _histogram: LatencyHistogram | None = PrivateAttr(None)

    @classmethod
    def of(
        cls,
        requests: int,
        errors: ErrorCounts,
        latency_ms: Percentiles,
        histogram: LatencyHistogram | None,
    ) -> EndpointSecond:
        """A second built in memory. A sparse histogram is kept
        and encoded on first read; a dense one is encoded now (its counts are ~185 KB)."""
        es = cls(requests=requests, errors=errors, latency_ms=latency_ms)
        if histogram is not None:
            if histogram.sparse:
                es._histogram = histogram
            else:
                es.hdr_text = histogram.encode()
        return es

    @property
    def hdr(self) -> str | None:
        """The encoded histogram (None: no latencies, or none kept)."""
        if self.hdr_text is None and self._histogram is not None:
            self.hdr_text = self._histogram.encode()
        return self.hdr_text

    @hdr.setter
    def hdr(self, text: str | None) -> None:
        self.hdr_text = text
        self._histogram = None

    def histogram(self) -> LatencyHistogram | None:
        """This second's histogram (the caller's own copy); None when none is kept."""
        if self._histogram is not None:
            return self._histogram.copy()
        return None if self.hdr_text is None else LatencyHistogram.decode(self.hdr_text)

    @field_serializer("hdr_text")
    def _encoded(self, _text: str | None) -> str | None:
        return self.hdr

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EndpointSecond):
            return NotImplemented
        return (
            self.requests == other.requests
            and self.errors == other.errors
            and self.latency_ms == other.latency_ms
            and self.hdr == other.hdr
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, as every model here


class SecondSample(_M):
    """One second of the run; ``t_s`` counts from the scenario start."""

    t_s: int
    offered: float | None = None  # requests sent (or arrivals) this second
    completed: int | None = None  # responses of any status
    errors: ErrorCounts | None = None
    latency_ms: Percentiles = Field(default_factory=Percentiles)
    endpoints: dict[str, EndpointSecond] = Field(default_factory=dict)
    lambda_concurrency: float | None = None
    lambda_invocations: int | None = None
    lambda_throttles: int | None = None
    cold_starts: int | None = None
    ddb_consumed_wcu: float | None = None
    ddb_provisioned_wcu: float | None = None
    ddb_consumed_rcu: float | None = None
    ddb_provisioned_rcu: float | None = None
    ddb_throttled: int | None = None  # DynamoDB requests throttled (each attempt)
    ddb_retries: int | None = None
    sqs_depth: int | None = None
    dropped_iterations: int | None = None  # the load generator could not keep up


class ThresholdVerdict(_M):
    endpoint: str  # post_events | get_inbox | ack | all
    expression: str  # k6 grammar
    observed: float | None
    passed: bool | None  # None: unobservable
    # Windowed thresholds (``over 10s``): start second of the worst window; None otherwise.
    window_start_s: int | None = None


class RecoveryVerdict(_M):
    spike_start_s: float
    recovery_s: float | None  # from the spike's start; None: never recovered within the run
    deadline_s: float
    recovered: bool
    condition: list[str]
    first_violation_s: float | None = None  # None: the condition never broke
    spike_duration_s: float | None = None  # how long the spike stage lasted

    def describe(self) -> str:
        """What happened, in words: recovered within the spike, only when it ended, or never."""
        if self.recovery_s is None:
            return "never recovered (the run ended first)"
        if self.recovery_s == 0:
            return "never degraded"
        if self.spike_duration_s is not None and self.recovery_s >= self.spike_duration_s - 1e-9:
            late = self.recovery_s - self.spike_duration_s
            tail = "when it ended" if late < 0.5 else f"{late:.0f} s after it ended"
            return f"not recovered before the spike ended: good again {tail}"
        return f"recovered {self.recovery_s:.0f} s into the spike"


class EndpointSummary(_M):
    requests: int
    errors: ErrorCounts
    error_rate: float | None
    latency_ms: Percentiles
    mean_ms: float | None = None
    hdr: str | None = None  # whole-run histogram, encoded


class Summary(_M):
    requests: int  # responses of any status
    offered: float | None = None
    errors: ErrorCounts
    error_rate: float | None
    throughput_per_s: float | None  # successful responses per second over the active period
    peak_throughput_per_s: float | None = None
    latency_ms: Percentiles
    endpoints: dict[str, EndpointSummary] = Field(default_factory=dict)
    recovery_s: float | None = None
    recovery: RecoveryVerdict | None = None
    max_lambda_concurrency: float | None = None
    cold_starts: int | None = None
    cold_start_fraction: float | None = None
    # Keys are the rulebook's causes; a cause a path cannot observe is absent.
    throttles_by_cause: dict[ThrottleCause, int] | None = None
    max_ddb_provisioned_wcu: float | None = None
    ddb_throttled: int | None = None
    max_sqs_depth: int | None = None
    dropped_iterations: int | None = None
    thresholds: list[ThresholdVerdict] = Field(default_factory=list)
    thresholds_passed: bool | None = None

    @field_validator("throttles_by_cause", mode="before")
    @classmethod
    def _old_cause_names(cls, v: object) -> object:
        # Results written before the causes had one name called the request-rate cap
        # "lambda_rps" when observed.
        if isinstance(v, dict) and "lambda_rps" in v:
            v = dict(v)
            v[ThrottleCause.LAMBDA_REQUEST_RATE.value] = v.pop("lambda_rps") + v.get(
                ThrottleCause.LAMBDA_REQUEST_RATE.value, 0
            )
        return v


class Provenance(_M):
    git_sha: str | None = None
    target: str  # "model" | "local" | a URL (no credentials)
    backend: str | None = None  # embedded | localstack | aws | None for the model
    seed: int | None = None
    scale: float = 1.0
    mode: str | None = None  # model mode (fast|exact) or runner details
    replications: int | None = None
    arrivals: str | None = None  # the model's arrival process (poisson | even); None: observed
    tool_versions: dict[str, str] = Field(default_factory=dict)
    started_at: datetime
    finished_at: datetime | None = None
    partial: bool = False  # interrupted before the end
    host: str | None = None
    notes: list[str] = Field(default_factory=list)


class RunResult(_M):
    schema_version: Literal[1] = 1  # SCHEMA_VERSION
    kind: ResultKind
    run_id: str
    scenario: Scenario
    system: SystemConfig
    provenance: Provenance
    series: list[SecondSample]
    summary: Summary
    faults: list[Fault] = Field(default_factory=list)  # faults applied (emulator)
    intervals: dict[str, dict[str, float]] | None = Field(
        None, description="95 % confidence half-widths per summary figure (--runs N)"
    )
    replicates: dict[str, list[float | None]] | None = Field(
        None,
        description="predict --runs N: every replication's value of each figure compare "
        "judges, keyed 'figure@phase' (scaling_lab.result.figures)",
    )

    def effective_system(self) -> SystemConfig:
        """The system as the run saw it: the file's system scaled by the run's ``--scale``.

        Every result keeps the system file as written (docs/results.md) and records the factor
        in ``scenario.scale``.
        """
        k = self.scenario.scale
        return self.system if k == 1 else scale_system(self.system, k)
