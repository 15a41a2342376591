"""PNG plots of a RunResult (matplotlib, Agg backend): traffic, latency, Lambda, DynamoDB, SQS,
and predicted vs observed. Each plot is returned as PNG bytes; nothing is written here."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scaling_lab.report.analysis import Saturation
from scaling_lab.result.models import RunResult, SecondSample
from scaling_lab.result.series import points
from scaling_lab.scenario.thresholds import parse_threshold

__all__ = ["Plot", "make_plots"]

_COLORS = {
    "offered": "#9aa5b1",
    "ok": "#2563eb",
    "errors": "#dc2626",
    "p50": "#60a5fa",
    "p95": "#2563eb",
    "p99": "#7c3aed",
    "target": "#dc2626",
    "cap": "#dc2626",
    "used": "#2563eb",
    "prov": "#16a34a",
    "predicted": "#f59e0b",
    "observed": "#2563eb",
}


@dataclass(frozen=True)
class Plot:
    name: str  # file stem, e.g. "latency"
    title: str
    caption: str
    png: bytes


Getter = Callable[[SecondSample], float | int | None]


def _figure(title: str) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(9.0, 3.3), dpi=110)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.grid(True, alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel("scenario time (s)")
    return fig, ax


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _mark_spike(ax: Axes, result: RunResult, saturations: Sequence[Saturation]) -> None:
    spike = result.scenario.spike_start_s()
    if spike is not None:
        ax.axvline(spike, color="#6b7280", linestyle=":", linewidth=1)
        ax.annotate(
            "spike",
            (spike, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=8,
            color="#6b7280",
            ha="left",
            va="top",
            xytext=(3, -2),
            textcoords="offset points",
        )
    for sat in [s for s in saturations if s.hard][:1]:  # shaded: the first limit reached
        ax.axvspan(sat.first_s, sat.last_s + 1, color="#fecaca", alpha=0.35, linewidth=0)


def _has(series: Sequence[SecondSample], get: Getter) -> bool:
    return any(get(s) is not None for s in series)


def make_plots(
    result: RunResult, saturations: Sequence[Saturation] = (), other: RunResult | None = None
) -> list[Plot]:
    """The plots this result's data support (a figure that is never observed gets no plot)."""
    series = result.series
    plots: list[Plot] = []

    # traffic ---------------------------------------------------------------------------------
    fig, ax = _figure("Traffic: offered vs successful responses per second")
    if _has(series, lambda s: s.offered):
        ax.plot(
            *points(series, lambda s: s.offered),
            color=_COLORS["offered"],
            label="offered",
            linewidth=1.5,
        )
    ax.plot(
        *points(series, lambda s: (s.completed or 0) - (s.errors.total if s.errors else 0)),
        color=_COLORS["ok"],
        label="successful",
        linewidth=1.2,
    )
    ax.plot(
        *points(series, lambda s: s.errors.total if s.errors else None),
        color=_COLORS["errors"],
        label="errors",
        linewidth=1.0,
    )
    ax.set_ylabel("requests/s")
    _mark_spike(ax, result, saturations)
    ax.legend(loc="best", fontsize=8, frameon=False)
    plots.append(
        Plot(
            "traffic",
            "Traffic",
            "Arrivals offered by the load generator, successful "
            "responses and errors, by the second the requests started; shaded: while the first "
            "limit was reached.",
            _png(fig),
        )
    )

    # latency ---------------------------------------------------------------------------------
    fig, ax = _figure("Latency per second (all endpoints)")
    for q in ("p50", "p95", "p99"):

        def get_q(s: SecondSample, q: str = q) -> float | None:
            value: float | None = getattr(s.latency_ms, q)
            return value

        ax.plot(
            *points(series, get_q),
            color=_COLORS[q],
            label=q,
            linewidth=1.2 if q != "p50" else 1.0,
        )
    for ep, exprs in result.scenario.thresholds.items():
        for expr in exprs:
            th = parse_threshold(expr)
            if th.aggregation == "p" and th.percentile in (95.0, 99.0):
                ax.axhline(
                    th.value, color=_COLORS["target"], linestyle="--", linewidth=0.9, alpha=0.7
                )
                ax.annotate(
                    f"{ep} {expr}",
                    (0.0, th.value),
                    xycoords=("axes fraction", "data"),
                    fontsize=7,
                    color=_COLORS["target"],
                    va="bottom",
                    xytext=(3, 1),
                    textcoords="offset points",
                )
    ax.set_ylabel("ms")
    ax.set_yscale("log")
    _mark_spike(ax, result, saturations)
    ax.legend(loc="best", fontsize=8, frameon=False)
    plots.append(
        Plot(
            "latency",
            "Latency",
            "Per-second p50, p95 and p99 from HDR histograms "
            "(log scale); dashed lines are the scenario's targets.",
            _png(fig),
        )
    )

    # Lambda ----------------------------------------------------------------------------------
    if _has(series, lambda s: s.lambda_concurrency):
        fig, ax = _figure("Lambda concurrency")
        ax.plot(
            *points(series, lambda s: s.lambda_concurrency),
            color=_COLORS["used"],
            label="concurrent executions (max per second)",
            linewidth=1.2,
        )
        cap = result.effective_system().lambda_.concurrency_cap
        ax.axhline(cap, color=_COLORS["cap"], linestyle="--", linewidth=0.9, label=f"cap {cap:,}")
        if _has(series, lambda s: s.lambda_throttles):
            ax2 = ax.twinx()
            ax2.bar(
                *points(series, lambda s: s.lambda_throttles),
                color=_COLORS["errors"],
                alpha=0.4,
                width=1.0,
                label="throttles/s",
            )
            ax2.set_ylabel("throttles/s", color=_COLORS["errors"])
        ax.set_ylabel("environments")
        _mark_spike(ax, result, saturations)
        ax.legend(loc="best", fontsize=8, frameon=False)
        plots.append(
            Plot(
                "lambda",
                "Lambda",
                "Concurrent executions against the concurrency "
                "cap; throttled invocations per second in red.",
                _png(fig),
            )
        )

    # DynamoDB --------------------------------------------------------------------------------
    if _has(series, lambda s: s.ddb_consumed_wcu) or _has(series, lambda s: s.ddb_provisioned_wcu):
        fig, ax = _figure("DynamoDB write capacity")
        ax.plot(
            *points(series, lambda s: s.ddb_consumed_wcu),
            color=_COLORS["used"],
            label="consumed WCU/s",
            linewidth=1.0,
        )
        ax.plot(
            *points(series, lambda s: s.ddb_provisioned_wcu),
            color=_COLORS["prov"],
            label="provisioned WCU",
            linewidth=1.5,
            drawstyle="steps-post",
        )
        if _has(series, lambda s: s.ddb_throttled):
            ax.plot(
                *points(series, lambda s: s.ddb_throttled),
                color=_COLORS["errors"],
                label="throttled requests/s",
                linewidth=1.0,
            )
        ax.set_ylabel("units per second")
        _mark_spike(ax, result, saturations)
        ax.legend(loc="best", fontsize=8, frameon=False)
        plots.append(
            Plot(
                "dynamodb",
                "DynamoDB",
                "Consumed write capacity against the "
                "provisioned level (auto scaling steps) and throttled requests.",
                _png(fig),
            )
        )

    # SQS -------------------------------------------------------------------------------------
    if _has(series, lambda s: s.sqs_depth):
        fig, ax = _figure("SQS queue depth")
        ax.plot(*points(series, lambda s: s.sqs_depth), color=_COLORS["used"], linewidth=1.2)
        ax.set_ylabel("messages")
        _mark_spike(ax, result, saturations)
        plots.append(Plot("sqs", "SQS", "Messages waiting for the delivery worker.", _png(fig)))

    # predicted vs observed ------------------------------------------------------------------
    if other is not None:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.3), dpi=110)
        for r in (other, result):
            label = r.kind.value
            ax1.plot(
                *points(r.series, lambda s: s.latency_ms.p95),
                color=_COLORS[label],
                label=label,
                linewidth=1.2,
            )
            ax2.plot(
                *points(
                    r.series, lambda s: (s.completed or 0) - (s.errors.total if s.errors else 0)
                ),
                color=_COLORS[label],
                label=label,
                linewidth=1.2,
            )
        ax1.set_title("p95 latency (ms)", loc="left", fontsize=10, fontweight="bold")
        ax1.set_yscale("log")
        ax2.set_title("successful responses/s", loc="left", fontsize=10, fontweight="bold")
        for a in (ax1, ax2):
            a.grid(True, alpha=0.25)
            a.spines[["top", "right"]].set_visible(False)
            a.set_xlabel("scenario time (s)")
            a.legend(fontsize=8, frameon=False)
        plots.append(
            Plot(
                "predicted-vs-observed",
                "Predicted vs observed",
                "The model's prediction against the observed run, second by second.",
                _png(fig),
            )
        )
    return plots
