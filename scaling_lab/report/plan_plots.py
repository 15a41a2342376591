"""PNG plots of a capacity plan, drawn from its plan.json (matplotlib, Agg backend): standing
cost against pass probability with the Pareto frontier, and the pass probability over a grid
of two dimensions. Each is returned as PNG bytes; nothing is written here."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from pydantic import JsonValue

from scaling_lab.report.plan_doc import PassGridDoc, PlanDoc

__all__ = ["frontier_png", "pass_probability_png"]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def frontier_png(plan: PlanDoc) -> bytes:
    """Standing cost against pass probability of every candidate, the frontier joined."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(
        [c.monthly_usd for c in plan.candidates],
        [c.pass_probability for c in plan.candidates],
        s=18,
        color="#888",
        label="candidates",
    )
    ax.plot(
        [c.monthly_usd for c in plan.pareto],
        [c.pass_probability for c in plan.pareto],
        "o-",
        color="#1f77b4",
        label="frontier",
    )
    if plan.recommended is not None:
        ax.scatter(
            [plan.recommended.monthly_usd], [1.0], s=80, color="#2ca02c", label="recommended"
        )
    ax.set_xlabel("standing DynamoDB capacity, USD / month")
    ax.set_ylabel("share of seeds passing")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"plan {plan.scenario}: cost vs risk ({plan.evaluated} candidates)")
    ax.legend(loc="lower right")
    return _png(fig)


def _label(value: JsonValue) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def pass_probability_png(plan: PlanDoc, grid: PassGridDoc) -> bytes:
    """The share of seeds passing at every pair of the grid's values, each cell labelled
    with its count."""
    n = len(grid.seeds)
    share = [[k / n for k in row] for row in grid.passes]
    nx, ny = len(grid.x.values), len(grid.y.values)
    fig, ax = plt.subplots(figsize=(min(12.0, 3.0 + 0.6 * nx), min(9.0, 2.0 + 0.45 * ny)))
    image = ax.imshow(share, origin="lower", aspect="auto", cmap="RdYlGn", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(nx), [_label(v) for v in grid.x.values], rotation=45 if nx > 8 else 0)
    ax.set_yticks(range(ny), [_label(v) for v in grid.y.values])
    if nx * ny <= 400:
        for iy, row in enumerate(grid.passes):
            for ix, k in enumerate(row):
                shade = "#fff" if abs(k / n - 0.5) > 0.3 else "#111"  # legible on the ends
                ax.text(ix, iy, f"{k}/{n}", ha="center", va="center", fontsize=8, color=shade)
    ax.set_xlabel(grid.x.name)
    ax.set_ylabel(grid.y.name)
    fig.colorbar(image, ax=ax, label="share of seeds passing")
    ax.set_title(f"plan {plan.scenario}: pass probability ({n} seeds a cell)", fontsize=10)
    return _png(fig)
