"""A plan's outputs: the candidates table, the recommended system file (commented with why
each value), a JSON document, the cost-vs-risk frontier plot and the pass-probability grid
plot (drawn by the report package from the JSON document, so ``report`` draws the same)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.plan.grid import PassGrid
from scaling_lab.plan.search import Candidate, PlanOutcome, pareto
from scaling_lab.report.plan_doc import PassGridDoc, PlanDoc
from scaling_lab.report.plan_plots import frontier_png, pass_probability_png
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.overrides import apply_overrides

__all__ = [
    "dump_json",
    "plan_json",
    "reasons",
    "recommended_yaml",
    "write_frontier_png",
    "write_pass_probability_png",
]


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


def plan_json(outcome: PlanOutcome, grid: PassGrid | None = None) -> JsonObject:
    """Everything the plan found (deterministic for the same seeds and probes)."""
    dims: list[JsonValue] = [
        {"paths": list(d.paths), "values": list(d.values), "bisected": d.monotone}
        for d in outcome.dimensions
    ]
    why: JsonObject = dict(reasons(outcome))
    doc: JsonObject = {
        "scenario": outcome.scenario,
        "base_system": outcome.base_system,
        "seeds": list(outcome.seeds),
        "dimensions": dims,
        "grid_size": outcome.grid_size,
        "evaluated": outcome.evaluated,
        "candidates": [_candidate_json(outcome, c) for c in outcome.candidates],
        "pareto": [_candidate_json(outcome, c) for c in pareto(outcome.candidates)],
        "recommended": None if outcome.best is None else _candidate_json(outcome, outcome.best),
        "recommended_why": why,
        "notes": list(outcome.notes),
        "pass_grid": None if grid is None else grid.json(),
        "min_pass_probability": outcome.min_pass,
        "pass_rule": outcome.rule,
    }
    PlanDoc.model_validate(doc)  # what report reads back: one schema for both
    return doc


def reasons(outcome: PlanOutcome) -> dict[str, str]:
    """Why each recommended value: the step below it that failed (and its first limit)."""
    best = outcome.best
    if best is None:
        return {}
    out = {}
    for d in outcome.dimensions:
        if not d.monotone:
            out[d.name] = f"the cheapest of the choices {list(d.values)}"
            continue
        under = outcome.below.get(d.name)
        if under is None:
            why = "the lowest value in the range"
        else:
            u = under.values[outcome.dimensions.index(d)]
            why = f"{u} failed {len(under.trials) - under.passes} of {len(under.trials)} seeds"
            if under.first_limit:
                why += f" (first limit: {under.first_limit})"
        out[d.name] = why
    return out


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
        f"# that met every SLO in {best.passes} of {n} seeds (the rule: {outcome.rule};"
        f" {outcome.evaluated} candidates evaluated, base system {outcome.base_system}).",
    ]
    why = reasons(outcome)
    for d, v in zip(outcome.dimensions, best.values, strict=True):
        lines.append(f"# {d.name} = {v}: {why[d.name]}")
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


def _write(path: Path, png: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def write_frontier_png(outcome: PlanOutcome, path: Path) -> Path:
    """Standing cost against pass probability of every candidate, the frontier joined."""
    return _write(path, frontier_png(PlanDoc.model_validate(plan_json(outcome))))


def write_pass_probability_png(outcome: PlanOutcome, grid: PassGrid, path: Path) -> Path:
    """The share of seeds passing over the grid's two dimensions."""
    doc = PlanDoc.model_validate(plan_json(outcome, grid))
    return _write(path, pass_probability_png(doc, PassGridDoc.model_validate(grid.json())))


def dump_json(outcome: PlanOutcome, grid: PassGrid | None = None) -> str:
    return json.dumps(plan_json(outcome, grid), indent=2, sort_keys=True)
