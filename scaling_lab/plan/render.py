"""A plan's outputs: the candidates table, the recommended system file (commented with why
each value), a JSON document, and the cost-vs-risk frontier plot."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.plan.search import Candidate, PlanOutcome, pareto
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.overrides import apply_overrides

__all__ = ["dump_json", "plan_json", "recommended_yaml", "write_frontier_png"]


def _candidate_json(outcome: PlanOutcome, c: Candidate) -> JsonObject:
    low, high = c.pass_interval()
    values: JsonObject = {d.name: v for d, v in zip(outcome.dimensions, c.values, strict=True)}
    return {
        "values": values,
        "passes": c.passes,
        "seeds": len(c.trials),
        "pass_probability": c.pass_probability,
        "pass_interval_95": [low, high],
        "p95_ms": c.p95_ms,
        "first_limit": c.first_limit,
        "monthly_usd": round(c.monthly_usd, 6),
        "per_million_events_usd": c.per_million_usd,
    }


def plan_json(outcome: PlanOutcome) -> JsonObject:
    """Everything the plan found (deterministic for the same seeds and probes)."""
    dims: list[JsonValue] = [
        {"paths": list(d.paths), "values": list(d.values), "bisected": d.monotone}
        for d in outcome.dimensions
    ]
    return {
        "scenario": outcome.scenario,
        "base_system": outcome.base_system,
        "seeds": list(outcome.seeds),
        "dimensions": dims,
        "grid_size": outcome.grid_size,
        "evaluated": outcome.evaluated,
        "candidates": [_candidate_json(outcome, c) for c in outcome.candidates],
        "pareto": [_candidate_json(outcome, c) for c in pareto(outcome.candidates)],
        "recommended": None if outcome.best is None else _candidate_json(outcome, outcome.best),
        "notes": list(outcome.notes),
    }


def recommended_yaml(outcome: PlanOutcome, base: SystemConfig) -> str | None:
    """The recommended system file: the base with the plan's values, and why each."""
    best = outcome.best
    if best is None:
        return None
    system = apply_overrides(base, best.overrides)
    n = len(outcome.seeds)
    lines = [
        f"# Recommended by `scaling-lab plan {outcome.scenario}`: the cheapest configuration "
        f"in the ranges",
        f"# that met every SLO in {n} of {n} seeds ({outcome.evaluated} candidates evaluated, "
        f"base system {outcome.base_system}).",
    ]
    for d, v in zip(outcome.dimensions, best.values, strict=True):
        if not d.monotone:
            lines.append(f"# {d.name} = {v}: the cheapest of the choices {list(d.values)}")
            continue
        under = outcome.below.get(d.name)
        if under is None:
            why = "the lowest value in the range"
        else:
            u = under.values[outcome.dimensions.index(d)]
            why = f"{u} failed {len(under.trials) - under.passes} of {len(under.trials)} seeds"
            if under.first_limit:
                why += f" (first limit: {under.first_limit})"
        lines.append(f"# {d.name} = {v}: {why}")
    lines.append(
        f"# standing DynamoDB capacity {best.monthly_usd:,.2f} USD a month; "
        + (
            f"{best.per_million_usd:,.4f} USD per 1M events at list prices"
            if best.per_million_usd is not None
            else "no events accepted"
        )
    )
    doc = system.model_dump(mode="json", by_alias=True, exclude_unset=True)
    doc["name"] = f"{outcome.base_system}-planned"
    doc["description"] = f"planned for {outcome.scenario}: " + ", ".join(
        f"{d.name}={v}" for d, v in zip(outcome.dimensions, best.values, strict=True)
    )
    return "\n".join(lines) + "\n" + yaml.safe_dump(doc, sort_keys=False)


def write_frontier_png(outcome: PlanOutcome, path: Path) -> Path:
    """Standing cost against pass probability of every candidate, the frontier joined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    xs = [c.monthly_usd for c in outcome.candidates]
    ys = [c.pass_probability for c in outcome.candidates]
    ax.scatter(xs, ys, s=18, color="#888", label="candidates")
    front = pareto(outcome.candidates)
    ax.plot(
        [c.monthly_usd for c in front],
        [c.pass_probability for c in front],
        "o-",
        color="#1f77b4",
        label="frontier",
    )
    if outcome.best is not None:
        ax.scatter([outcome.best.monthly_usd], [1.0], s=80, color="#2ca02c", label="recommended")
    ax.set_xlabel("standing DynamoDB capacity, USD / month")
    ax.set_ylabel("share of seeds passing")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"plan {outcome.scenario}: cost vs risk ({outcome.evaluated} candidates)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def dump_json(outcome: PlanOutcome) -> str:
    return json.dumps(plan_json(outcome), indent=2, sort_keys=True)
