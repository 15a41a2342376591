"""Overlay plots of predicted vs observed (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scaling_lab.compare.core import Comparison
from scaling_lab.result.models import SecondSample
from scaling_lab.result.series import points

__all__ = ["plot_comparison"]

Getter = Callable[[SecondSample], float | None]

_PANELS: list[tuple[str, str, Getter]] = [
    (
        "Requests per second",
        "req/s",
        lambda s: float(s.completed) if s.completed is not None else None,
    ),
    ("p95 latency", "ms", lambda s: s.latency_ms.p95),
    (
        "Throttled (429) per second",
        "req/s",
        lambda s: float(s.errors.throttled) if s.errors is not None else None,
    ),
    ("Lambda concurrency", "environments", lambda s: s.lambda_concurrency),
    ("DynamoDB write capacity", "WCU", lambda s: s.ddb_provisioned_wcu),
]


def plot_comparison(cmp: Comparison, out_dir: Path) -> list[Path]:
    """Write one PNG per panel plus an overview; panels with no data on either side are skipped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    usable = []
    for title, unit, get in _PANELS:
        p = points(cmp.predicted.series, get)
        o = points(cmp.observed.series, get)
        if p[0] or o[0]:
            usable.append((title, unit, get, p, o))
    if not usable:
        return written
    fig, axes = plt.subplots(
        len(usable), 1, figsize=(10, 2.4 * len(usable)), sharex=True, squeeze=False
    )
    for ax, (title, unit, _get, p, o) in zip(axes[:, 0], usable, strict=True):
        if p[0]:
            ax.plot(*p, label="predicted", color="#1f77b4", linewidth=1.4)
        else:
            ax.text(0.01, 0.85, "predicted: not modelled", transform=ax.transAxes, fontsize=8)
        if o[0]:
            ax.plot(*o, label="observed", color="#d62728", linewidth=1.0, alpha=0.85)
        else:
            ax.text(0.01, 0.7, "observed: not observed", transform=ax.transAxes, fontsize=8)
        if title == "p95 latency":
            rec = cmp.observed.scenario.recovery
            if rec is not None:
                for cond in rec.condition:
                    if cond.startswith("p(95)<"):
                        ax.axhline(
                            float(cond.split("<")[1]),
                            color="grey",
                            linestyle=":",
                            linewidth=1,
                            label="SLO",
                        )
        for ph in cmp.phases[1:]:
            ax.axvline(ph.start_s, color="grey", linewidth=0.8, alpha=0.6)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_ylabel(unit, fontsize=8)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=8, loc="upper right")
    axes[-1, 0].set_xlabel("scenario time (s)")
    sc = cmp.observed.scenario
    fig.suptitle(f"{sc.name}: predicted vs observed (scale x{sc.scale:g})", fontsize=12)
    fig.tight_layout()
    overview = out_dir / "compare-overview.png"
    fig.savefig(overview, dpi=110)
    plt.close(fig)
    written.append(overview)
    return written
