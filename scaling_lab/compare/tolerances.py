"""Tolerances for predicted-vs-observed figures (defaults, and YAML files that override them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scaling_lab.errors import ValidationFailed

__all__ = ["DEFAULT_TOLERANCES", "Tolerance", "Tolerances", "load_tolerances"]


class Tolerance(BaseModel):
    """A figure agrees when |observed - predicted| <= max(abs, rel x |predicted|)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rel: float = Field(0.0, ge=0)
    abs: float = Field(0.0, ge=0)
    abs_fraction_of_requests: float = Field(
        0.0, ge=0, description="absolute slack as a fraction of the phase's requests (counts)"
    )
    rank_points: float = Field(
        0.0,
        ge=0,
        le=50,
        description="percentiles: also agree when the observed value sits within this many "
        "percentile points of the predicted distribution (e.g. p95 observed between the "
        "predicted p94 and p96)",
    )

    def allowed(self, predicted: float, requests: float = 0.0) -> float:
        return max(self.abs, self.rel * abs(predicted), self.abs_fraction_of_requests * requests)

    def describe(self) -> str:
        parts = []
        if self.rel:
            parts.append(f"{self.rel:.0%}")
        if self.abs:
            parts.append(f"{self.abs:g}")
        if self.abs_fraction_of_requests:
            parts.append(f"{self.abs_fraction_of_requests:.1%} of requests")
        if self.rank_points:
            parts.append(f"±{self.rank_points:g} pct-rank")
        return " or ".join(parts) if parts else "exact"


class Tolerances(BaseModel):
    """Which figures are gated, and how loosely. Figures not listed are informational."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recovery_s: Tolerance | None = Tolerance(rel=0.10, abs=5.0)
    p50: Tolerance | None = None
    # Latency under SDK retries is a staircase (legacy backoff 50 ms x 2^(n-1), no jitter): a
    # p95 that falls on a step edge jumps between steps when the mix shifts by a fraction of a
    # percent, so a p95 also agrees when it sits within one percentile point of the predicted
    # distribution (docs/validation.md).
    p95: Tolerance | None = Tolerance(rel=0.15, rank_points=1.0)
    p99: Tolerance | None = None
    throttled: Tolerance | None = Tolerance(rel=0.20, abs_fraction_of_requests=0.001)
    error_rate: Tolerance | None = None
    max_lambda_concurrency: Tolerance | None = None
    cold_start_fraction: Tolerance | None = None
    max_provisioned_wcu: Tolerance | None = None
    first_scale_out_s: Tolerance | None = None


DEFAULT_TOLERANCES = Tolerances()


def load_tolerances(path: Path | None) -> Tolerances:
    if path is None:
        return DEFAULT_TOLERANCES
    from scaling_lab.scenario.loader import _read_yaml, problems_from

    data = _read_yaml(Path(path))
    try:
        return Tolerances.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, str(path))) from None
