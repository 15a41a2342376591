"""What the history keeps next to each stored result: the indexed columns of one run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from scaling_lab.result.models import RunResult

__all__ = ["Baseline", "RunRecord", "record_of"]


@dataclass(frozen=True)
class RunRecord:
    """One stored run: identity, provenance and key figures (the full result is kept apart)."""

    run_id: str
    kind: str  # predicted | observed
    scenario: str
    system: str
    target: str
    backend: str | None
    git_sha: str | None
    seed: int | None
    scale: float
    started_at: str  # ISO 8601, UTC
    partial: bool
    requests: int
    error_rate: float | None
    throughput_per_s: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    thresholds_passed: bool | None
    recovery_s: float | None
    recorded_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        fields: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        fields["partial"] = bool(fields["partial"])
        tp = fields["thresholds_passed"]
        fields["thresholds_passed"] = None if tp is None else bool(tp)
        return cls(**fields)


@dataclass(frozen=True)
class Baseline:
    """The run that ``regress`` compares against, per scenario and kind."""

    scenario: str
    kind: str
    run_id: str
    set_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def record_of(result: RunResult) -> RunRecord:
    """The indexed figures of ``result``."""
    s = result.summary
    p = result.provenance
    return RunRecord(
        run_id=result.run_id,
        kind=result.kind.value,
        scenario=result.scenario.name,
        system=result.system.name,
        target=p.target,
        backend=p.backend,
        git_sha=p.git_sha,
        seed=p.seed,
        scale=p.scale,
        started_at=_iso(p.started_at),
        partial=p.partial,
        requests=s.requests,
        error_rate=s.error_rate,
        throughput_per_s=s.throughput_per_s,
        p50_ms=s.latency_ms.p50,
        p95_ms=s.latency_ms.p95,
        p99_ms=s.latency_ms.p99,
        max_ms=s.latency_ms.max,
        thresholds_passed=s.thresholds_passed,
        recovery_s=s.recovery_s,
        recorded_at=_iso(datetime.now(UTC)),
    )


def now_iso() -> str:
    return _iso(datetime.now(UTC))
