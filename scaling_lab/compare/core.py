"""Predicted vs observed: align two RunResults on scenario time and compare figures per phase."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from scaling_lab.compare.tolerances import DEFAULT_TOLERANCES, Tolerance, Tolerances
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import RunResult, SecondSample
from scaling_lab.result.series import max_present, sum_present

__all__ = ["Comparison", "Line", "Phase", "Verdict", "compare", "phases_of"]


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INFO = "info"  # no tolerance: shown, not gated
    NULL = "n/a"  # unobservable on at least one side


@dataclass(frozen=True)
class Phase:
    name: str
    start_s: float
    end_s: float

    def contains(self, t_s: float) -> bool:
        return self.start_s <= t_s < self.end_s


@dataclass
class Line:
    figure: str
    phase: str
    predicted: float | None
    observed: float | None
    tolerance: Tolerance | None
    allowed: float | None = None
    unit: str = ""
    rank: float | None = None  # percentile lines: observed value's rank in the predicted (0-100)

    @property
    def delta(self) -> float | None:
        if self.predicted is None or self.observed is None:
            return None
        return self.observed - self.predicted

    @property
    def delta_rel(self) -> float | None:
        d = self.delta
        if d is None or not self.predicted:
            return None
        return d / abs(self.predicted)

    @property
    def verdict(self) -> Verdict:
        if self.predicted is None or self.observed is None:
            return Verdict.NULL
        if self.tolerance is None or self.allowed is None:
            return Verdict.INFO
        assert self.delta is not None
        if abs(self.delta) <= self.allowed + 1e-9:
            return Verdict.PASS
        if self.tolerance.rank_points and self.rank is not None and self.figure.startswith("p"):
            target = float(self.figure[1:])
            if abs(self.rank - target) <= self.tolerance.rank_points + 1e-9:
                return Verdict.PASS
        return Verdict.FAIL


@dataclass
class Comparison:
    predicted: RunResult
    observed: RunResult
    phases: list[Phase]
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Line]:
        return [ln for ln in self.lines if ln.verdict is Verdict.FAIL]

    @property
    def passed(self) -> bool:
        return not self.failed

    def line(self, figure: str, phase: str = "overall") -> Line | None:
        for ln in self.lines:
            if ln.figure == figure and ln.phase == phase:
                return ln
        return None


def phases_of(result: RunResult) -> list[Phase]:
    """before / during / after the recovery SLO's spike stage; one 'run' phase without one."""
    sc = result.scenario
    end = sc.duration_s
    if sc.recovery is None:
        return [Phase("run", 0.0, end)]
    start = sc.traffic.stage_start_s(sc.recovery.spike)
    stage = next(s for s in sc.traffic.stages if s.name == sc.recovery.spike)
    stop = start + stage.duration_s
    phases = []
    if start > 0:
        phases.append(Phase("before", 0.0, start))
    phases.append(Phase("during", start, stop))
    if stop < end:
        phases.append(Phase("after", stop, end))
    return phases


def _in(series: Sequence[SecondSample], phase: Phase | None) -> list[SecondSample]:
    return [s for s in series if phase is None or phase.contains(s.t_s)]


def _histogram(seconds: Sequence[SecondSample], endpoint: str) -> LatencyHistogram | None:
    h = LatencyHistogram()
    for s in seconds:
        names = list(s.endpoints) if endpoint == "all" else [endpoint]
        for name in names:
            sec = s.endpoints.get(name)
            if sec is None or sec.requests == 0:
                continue
            if sec.hdr is None:
                return None  # percentiles cannot be merged without histograms
            h.merge(LatencyHistogram.decode(sec.hdr))
    return h


def first_scale_out_s(series: Sequence[SecondSample]) -> float | None:
    """First second at which provisioned WCU rose above its starting value."""
    base: float | None = None
    for s in series:
        v = s.ddb_provisioned_wcu
        if v is None:
            continue
        if base is None:
            base = v
        elif v > base + 1e-9:
            return float(s.t_s)
    return None


def _figures(seconds: Sequence[SecondSample]) -> dict[str, float | None]:
    requests = sum_present([s.completed for s in seconds]) or 0.0
    throttled = sum_present([s.errors.throttled if s.errors else None for s in seconds])
    errors = sum_present([s.errors.total if s.errors else None for s in seconds])
    cold = sum_present([s.cold_starts for s in seconds])
    invocations = sum_present([s.lambda_invocations for s in seconds])
    return {
        "requests": requests,
        "throttled": throttled,
        "peak_throttle_rate": max_present(
            [s.errors.throttled if s.errors else None for s in seconds]
        ),
        "error_rate": (errors / requests) if errors is not None and requests else None,
        "max_lambda_concurrency": max_present([s.lambda_concurrency for s in seconds]),
        "cold_start_fraction": (cold / invocations) if cold is not None and invocations else None,
        "max_provisioned_wcu": max_present([s.ddb_provisioned_wcu for s in seconds]),
        "ddb_throttled": sum_present([s.ddb_throttled for s in seconds]),
    }


_UNITS = {
    "recovery_s": "s",
    "first_scale_out_s": "s",
    "p50": "ms",
    "p95": "ms",
    "p99": "ms",
    "throttled": "req",
    "peak_throttle_rate": "req/s",
    "error_rate": "",
    "max_lambda_concurrency": "",
    "cold_start_fraction": "",
    "max_provisioned_wcu": "WCU",
    "ddb_throttled": "req",
}


def compare(
    predicted: RunResult, observed: RunResult, tolerances: Tolerances = DEFAULT_TOLERANCES
) -> Comparison:
    """Compare two results of the same scenario. Null figures are shown, never compared."""
    cmp = Comparison(predicted, observed, phases_of(observed))
    if predicted.scenario.name != observed.scenario.name:
        cmp.notes.append(
            f"different scenarios: {predicted.scenario.name!r} vs {observed.scenario.name!r}"
        )
    if abs(predicted.scenario.scale - observed.scenario.scale) > 1e-9:
        cmp.notes.append(
            f"different scales: predicted x{predicted.scenario.scale:g}, "
            f"observed x{observed.scenario.scale:g}; rates and capacities differ"
        )

    def tol(name: str) -> Tolerance | None:
        value = getattr(tolerances, name, None)
        return value if isinstance(value, Tolerance) else None

    def add(figure: str, phase: str, p: float | None, o: float | None, requests: float = 0) -> None:
        t = tol(figure)
        allowed = None if (t is None or p is None) else t.allowed(p, requests)
        cmp.lines.append(Line(figure, phase, p, o, t, allowed, _UNITS.get(figure, "")))

    # Recovery (overall only).
    pr, ob = predicted.summary.recovery, observed.summary.recovery
    if pr is not None or ob is not None:
        add("recovery_s", "overall", pr.recovery_s if pr else None, ob.recovery_s if ob else None)

    endpoints = sorted(set(predicted.summary.endpoints) | set(observed.summary.endpoints))
    for phase in [None, *cmp.phases]:
        pname = "overall" if phase is None else phase.name
        psec, osec = _in(predicted.series, phase), _in(observed.series, phase)
        pf, of = _figures(psec), _figures(osec)
        for name in endpoints:
            ph, oh = _histogram(psec, name), _histogram(osec, name)
            for q, label in ((50, "p50"), (95, "p95"), (99, "p99")):
                pv = ph.percentile_ms(q) if ph else None
                ov = oh.percentile_ms(q) if oh else None
                add(label, f"{pname}:{name}", pv, ov)
                if ph is not None and ov is not None:
                    r = ph.rank_of(ov)
                    cmp.lines[-1].rank = None if r is None else 100.0 * r
        add("throttled", pname, pf["throttled"], of["throttled"], of["requests"] or 0.0)
        for figure in (
            "peak_throttle_rate",
            "error_rate",
            "max_lambda_concurrency",
            "cold_start_fraction",
            "max_provisioned_wcu",
            "ddb_throttled",
        ):
            add(figure, pname, pf[figure], of[figure])
    add(
        "first_scale_out_s",
        "overall",
        first_scale_out_s(predicted.series),
        first_scale_out_s(observed.series),
    )
    return cmp
