"""Merge observed figures into an observed RunResult (or into its builder before ``build``)."""

from __future__ import annotations

from scaling_lab.aws.metrics import COUNTERS, INTEGER_FIGURES
from scaling_lab.observe.figures import FIGURE_NAMES, Figures
from scaling_lab.result.builder import ResultBuilder
from scaling_lab.result.models import RunResult, SecondSample

__all__ = ["apply_to_builder", "merge_into_result"]


def apply_to_builder(builder: ResultBuilder, figures: Figures, started_epoch_s: float) -> None:
    """Feed the figures to a builder (``b.figure``), on the run clock starting at ``started``."""
    duration = max(1, int(builder.scenario.duration_s))
    per_second = figures.per_run_second(started_epoch_s, duration)
    for name in sorted(figures.observable & set(FIGURE_NAMES)):
        builder.observable.add(name)
        for t, value in sorted(per_second.get(name, {}).items()):
            builder.figure(t, name, value)
    if figures.throttles_by_cause:
        builder.throttles_by_cause = dict(figures.throttles_by_cause)
    builder.notes.extend(figures.notes)


def _value(name: str, value: float) -> float | int:
    return round(value) if name in INTEGER_FIGURES else value


def merge_into_result(
    result: RunResult, figures: Figures, started_epoch_s: float | None = None
) -> RunResult:
    """A copy of ``result`` with the observed figures set on every second, summary updated.

    Seconds the source has no datapoint for: counters 0, levels carried forward, as the
    builder does. Figures the source cannot observe are left as they were.
    """
    started = (
        result.provenance.started_at.timestamp() if started_epoch_s is None else started_epoch_s
    )
    n = len(result.series)
    per_second = figures.per_run_second(started, n)
    names = sorted(figures.observable & set(FIGURE_NAMES))
    series: list[SecondSample] = []
    carried: dict[str, float | int | None] = {}
    for sample in result.series:
        upd: dict[str, float | int | None] = {}
        for name in names:
            value = per_second.get(name, {}).get(sample.t_s)
            if value is not None:
                upd[name] = _value(name, value)
                carried[name] = upd[name]
            elif name in COUNTERS:
                upd[name] = 0
            else:
                upd[name] = carried.get(name)
        series.append(sample.model_copy(update=upd))
    summary = result.summary.model_copy(deep=True)

    def present(attr: str) -> list[float]:
        return [float(v) for s in series if (v := getattr(s, attr)) is not None]

    if "lambda_concurrency" in names:
        vals = present("lambda_concurrency")
        summary.max_lambda_concurrency = max(vals) if vals else None
    if "cold_starts" in names:
        summary.cold_starts = int(sum(present("cold_starts")))
        inv = sum(present("lambda_invocations"))
        summary.cold_start_fraction = summary.cold_starts / inv if inv else None
    if "ddb_provisioned_wcu" in names:
        vals = present("ddb_provisioned_wcu")
        summary.max_ddb_provisioned_wcu = max(vals) if vals else None
    if "ddb_throttled" in names:
        summary.ddb_throttled = int(sum(present("ddb_throttled")))
    if "sqs_depth" in names:
        vals = present("sqs_depth")
        summary.max_sqs_depth = int(max(vals)) if vals else None
    if figures.throttles_by_cause:
        merged = dict(summary.throttles_by_cause or {})
        merged.update(figures.throttles_by_cause)
        summary.throttles_by_cause = merged
    provenance = result.provenance.model_copy(
        update={
            "notes": [*result.provenance.notes, f"metrics from {figures.source}", *figures.notes]
        }
    )
    return result.model_copy(
        update={"series": series, "summary": summary, "provenance": provenance}
    )
