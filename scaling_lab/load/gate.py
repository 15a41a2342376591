"""The CI gate on any RunResult (predicted or observed): limits, scenario thresholds, JUnit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scaling_lab.junit import Case, Outcome
from scaling_lab.junit import junit_xml as write_junit
from scaling_lab.result.builder import evaluate_thresholds
from scaling_lab.result.models import RunResult

__all__ = ["GateLimits", "GateVerdict", "Source", "gate", "junit_xml"]


class Source(StrEnum):
    SCENARIO = "scenario"  # the scenario file's k6 thresholds
    LIMIT = "limit"  # a command-line limit
    RECOVERY = "recovery"  # the scenario's recovery SLO
    RUN = "run"  # the run itself: a partial result never passes


@dataclass(frozen=True)
class GateLimits:
    """Command-line limits on the whole run; None: not checked."""

    p95_ms: float | None = None  # fail when p95 exceeds it
    p99_ms: float | None = None
    error_rate: float | None = None  # fail when the error rate exceeds it (0.001 = 0.1 %)
    min_throughput_per_s: float | None = None  # fail when successful req/s is below it


@dataclass(frozen=True)
class GateVerdict:
    source: Source
    endpoint: str
    check: str
    observed: float | None
    unit: str
    passed: bool  # an unobservable figure (None) fails: never a silent pass

    @property
    def observed_text(self) -> str:
        if self.observed is None:
            return "n/a (unobservable)"
        if self.unit == "ms":
            return f"{self.observed:,.1f} ms"
        if self.unit == "req/s":
            return f"{self.observed:,.1f} req/s"
        if self.unit == "s":
            return f"{self.observed:,.0f} s"
        return f"{self.observed:.4g}"


def _unit(expression: str) -> str:
    head = expression.lstrip()
    if head.startswith("rate"):
        return "ratio"
    if head.startswith(("count", "value")):
        return "count"
    return "ms"


def gate(
    result: RunResult, limits: GateLimits, *, scenario_thresholds: bool = True
) -> list[GateVerdict]:
    """Every check of the gate, in order: scenario thresholds, recovery, command-line limits."""
    s = result.summary
    out: list[GateVerdict] = []
    if result.provenance.partial:
        # Interrupted, or its target died: what it measured is not the scenario's load.
        out.append(GateVerdict(Source.RUN, "all", "the run completed", 0.0, "count", False))
    if scenario_thresholds:
        verdicts = s.thresholds or evaluate_thresholds(result.scenario, s, series=result.series)
        for v in verdicts:
            check = v.expression
            if v.window_start_s is not None:
                check += f" (worst window from {v.window_start_s} s)"
            out.append(
                GateVerdict(
                    Source.SCENARIO,
                    v.endpoint,
                    check,
                    v.observed,
                    _unit(v.expression),
                    v.passed is True,
                )
            )
        if s.recovery is not None:
            r = s.recovery
            out.append(
                GateVerdict(
                    Source.RECOVERY,
                    "all",
                    f"recovered within {r.deadline_s:g} s of the spike",
                    r.recovery_s,
                    "s",
                    r.recovered,
                )
            )
    checks: list[tuple[str, float | None, float | None, bool, str]] = [
        ("p95 <= {:g} ms", limits.p95_ms, s.latency_ms.p95, True, "ms"),
        ("p99 <= {:g} ms", limits.p99_ms, s.latency_ms.p99, True, "ms"),
        ("error rate <= {:g}", limits.error_rate, s.error_rate, True, "ratio"),
        (
            "throughput >= {:g} req/s",
            limits.min_throughput_per_s,
            s.throughput_per_s,
            False,
            "req/s",
        ),
    ]
    for label, limit, observed, upper, unit in checks:
        if limit is None:
            continue
        ok = observed is not None and (observed <= limit if upper else observed >= limit)
        out.append(GateVerdict(Source.LIMIT, "all", label.format(limit), observed, unit, ok))
    return out


def junit_xml(result: RunResult, verdicts: list[GateVerdict]) -> str:
    """JUnit XML: one test case per check, a failure element for each failed one."""
    cases = [
        Case(
            classname=f"scaling_lab.{result.scenario.name}.{v.source.value}",
            name=f"{v.endpoint}: {v.check}",
            outcome=Outcome.PASSED if v.passed else Outcome.FAILED,
            text=f"observed {v.observed_text}",
            failure_type="ThresholdFailed",
            detail=f"{v.endpoint}: {v.check} failed; observed {v.observed_text}",
        )
        for v in verdicts
    ]
    properties = {
        "run_id": result.run_id,
        "kind": result.kind.value,
        "target": result.provenance.target,
        "partial": str(result.provenance.partial).lower(),
    }
    return write_junit(
        f"scaling-lab check {result.scenario.name}",
        cases,
        properties,
        timestamp=result.provenance.started_at.isoformat(),
    )
