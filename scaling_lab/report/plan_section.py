"""The capacity-plan section of a report, from a plan.json: every candidate with its cost,
pass probability and interval, p95 and first limit; the Pareto frontier; the recommended
values and why; the frontier and pass-probability plots."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

from scaling_lab.report.baseline import ms, usd
from scaling_lab.report.document import Block, Bullets, Document, Figure, Para, Section, Table
from scaling_lab.report.plan_doc import CandidateDoc, PlanDoc
from scaling_lab.report.plan_plots import frontier_png, pass_probability_png

__all__ = ["plan_document", "plan_section"]


def _value(v: JsonValue) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _candidates(plan: PlanDoc, rows: Sequence[CandidateDoc], mark: bool) -> Table:
    names = [d.name for d in plan.dimensions]
    headers = [
        d.paths[0] + (f" (+{len(d.paths) - 1})" if len(d.paths) > 1 else "")
        for d in plan.dimensions
    ]
    headers += [
        "seeds passing",
        "pass probability (95 % CI)",
        "p95",
        "first limit",
        "USD / month",
        "USD / 1M events",
    ]
    out = []
    for c in rows:
        low, high = c.pass_interval_95
        best = mark and c == plan.recommended
        cells = [_value(c.values.get(n)) for n in names]
        if best:
            cells = [f"**{x}**" for x in cells]
        out.append(
            [
                *cells,
                f"{c.passes}/{c.seeds}",
                f"{c.pass_probability:.0%} ({low:.0%}-{high:.0%})",
                ms(c.p95_ms),
                c.first_limit or "none",
                f"{c.monthly_usd:,.2f}" + (" (recommended)" if best else ""),
                usd(c.per_million_events_usd),
            ]
        )
    k = len(names)
    return Table(headers, out, frozenset({*range(k), k, k + 1, k + 2, k + 4, k + 5}))


def plan_section(plan: PlanDoc, *, prefix: str = "plan") -> tuple[Section, dict[str, bytes]]:
    """The section of one plan and its plots (named ``<prefix>-frontier`` and
    ``<prefix>-pass-probability``)."""
    n = len(plan.seeds)
    blocks: list[Block] = [
        Para(
            f"`scaling-lab plan {plan.scenario}` on system `{plan.base_system}`: "
            f"{plan.evaluated} candidates evaluated of the {plan.grid_size:,} in the grid, "
            f"{n} seeds each (seeds {plan.seeds[0]}..{plan.seeds[-1]}); a candidate passes when "
            f"{plan.rule} meet the scenario's thresholds and recovery SLO. Cost is the standing "
            "DynamoDB capacity for a month, then the cost per 1M accepted events at list prices."
        )
    ]
    rec = plan.recommended
    if rec is None:
        blocks.append(Para(f"**No configuration in the ranges passes ({plan.rule}).**"))
    else:
        items = [
            f"`{d.name}` = **{_value(rec.values.get(d.name))}**: "
            f"{plan.recommended_why.get(d.name, '')}".rstrip(": ")
            for d in plan.dimensions
        ]
        items.append(
            f"standing DynamoDB capacity {rec.monthly_usd:,.2f} USD a month, "
            f"{usd(rec.per_million_events_usd)} per 1M events; p95 {ms(rec.p95_ms)}"
        )
        blocks += [
            Para(f"**Recommended** (the cheapest candidate passing: {plan.rule}):"),
            Bullets(items),
        ]
    blocks += [
        Para("Candidates, in the order evaluated:"),
        _candidates(plan, plan.candidates, mark=True),
        Para(
            "Pareto frontier (no other candidate is both cheaper and more likely to pass), "
            "cheapest first:"
        ),
        _candidates(plan, plan.pareto, mark=False),
    ]
    plots = {f"{prefix}-frontier": frontier_png(plan)}
    blocks.append(
        Figure(
            f"{prefix}-frontier",
            "Cost vs risk",
            "Standing DynamoDB cost a month against the share of seeds passing; the Pareto "
            "frontier joined, the recommended candidate in green.",
        )
    )
    grid = plan.pass_grid
    if grid is not None:
        plots[f"{prefix}-pass-probability"] = pass_probability_png(plan, grid)
        fixed = ", ".join(f"{k}={_value(v)}" for k, v in grid.fixed.items()) or "none"
        blocks.append(
            Figure(
                f"{prefix}-pass-probability",
                "Pass probability",
                f"Share of the {len(grid.seeds)} seeds passing at every pair of `{grid.x.name}` "
                f"and `{grid.y.name}`; the other dimensions at the {grid.fixed_from} values "
                f"({fixed}).",
            )
        )
    if plan.notes:
        blocks.append(Bullets(list(plan.notes)))
    section = Section(f"Capacity plan: {plan.scenario}", blocks, f"{prefix}-{plan.scenario}")
    return section, plots


def plan_document(plans: Sequence[PlanDoc], *, command: str | None = None) -> Document:
    """A report of capacity plans only."""
    if not plans:
        raise ValueError("no plans to report")
    sections, plots = [], {}
    for i, plan in enumerate(plans):
        section, pngs = plan_section(plan, prefix="plan" if len(plans) == 1 else f"plan{i + 1}")
        sections.append(section)
        plots.update(pngs)
    made = f" Made with `{command}`." if command else ""
    names = ", ".join(f"`{p.scenario}`" for p in plans)
    return Document(
        title=f"Capacity plan: {', '.join(p.scenario for p in plans)}",
        subtitle=f"The cheapest configuration meeting the SLOs of {names}.{made}",
        sections=sections,
        plots=plots,
    )
