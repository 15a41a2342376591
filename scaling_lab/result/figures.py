"""The figures a comparison judges, per phase of a run: what ``compare`` reads off a predicted
and an observed result, and what ``predict --runs N`` records for every replication so an
observation can be judged against the spread of the prediction (``RunResult.replicates``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import RunResult, SecondSample
from scaling_lab.result.series import max_present, sum_present

__all__ = [
    "COUNT_FIGURES",
    "PERCENTILES",
    "Phase",
    "figure_key",
    "first_scale_out_s",
    "phase_histogram",
    "phase_seconds",
    "phases_of",
    "result_figures",
    "series_figures",
]

PERCENTILES = ((50, "p50"), (95, "p95"), (99, "p99"))
# figures that count events: their observed value is a count with (at least) Poisson noise
COUNT_FIGURES = frozenset({"throttled", "ddb_throttled", "requests"})


@dataclass(frozen=True)
class Phase:
    name: str
    start_s: float
    end_s: float

    def contains(self, t_s: float) -> bool:
        return self.start_s <= t_s < self.end_s


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


def phase_seconds(series: Sequence[SecondSample], phase: Phase | None) -> list[SecondSample]:
    return [s for s in series if phase is None or phase.contains(s.t_s)]


def phase_histogram(seconds: Sequence[SecondSample], endpoint: str) -> LatencyHistogram | None:
    """The merged latency histogram of ``endpoint`` ('all': every endpoint) over ``seconds``;
    None when a second kept no histogram (percentiles cannot be merged without them)."""
    h = LatencyHistogram()
    for s in seconds:
        names = list(s.endpoints) if endpoint == "all" else [endpoint]
        for name in names:
            sec = s.endpoints.get(name)
            if sec is None or sec.requests == 0:
                continue
            one = sec.histogram()
            if one is None:
                return None
            h.merge(one)
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


def series_figures(seconds: Sequence[SecondSample]) -> dict[str, float | None]:
    """Figures of a stretch of seconds; None where the side cannot observe them."""
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


def figure_key(figure: str, phase: str) -> str:
    """How a (figure, phase) pair is named in ``RunResult.replicates``."""
    return f"{figure}@{phase}"


def result_figures(
    result: RunResult, phases: Sequence[Phase] | None = None, endpoints: Sequence[str] = ()
) -> dict[str, float | None]:
    """Every figure ``compare`` can judge, keyed by :func:`figure_key`: recovery and first
    scale-out (phase 'overall'), and per phase ('overall' and each of ``phases``, default
    :func:`phases_of`) the series figures and p50/p95/p99 of each endpoint (phase
    'name:endpoint'; ``endpoints`` default: the result's)."""
    phases = phases_of(result) if phases is None else phases
    names = sorted(endpoints or result.summary.endpoints)
    out: dict[str, float | None] = {}
    rec = result.summary.recovery
    out[figure_key("recovery_s", "overall")] = None if rec is None else rec.recovery_s
    out[figure_key("first_scale_out_s", "overall")] = first_scale_out_s(result.series)
    for phase in [None, *phases]:
        pname = "overall" if phase is None else phase.name
        secs = phase_seconds(result.series, phase)
        for name in names:
            h = phase_histogram(secs, name)
            for q, label in PERCENTILES:
                out[figure_key(label, f"{pname}:{name}")] = h.percentile_ms(q) if h else None
        for figure, v in series_figures(secs).items():
            out[figure_key(figure, pname)] = v
    return out
