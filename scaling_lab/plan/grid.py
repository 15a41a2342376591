"""The pass probability over two dimensions: every pair of their values, the plan's other
dimensions at the recommended values, each pair run for every seed through the plan's
executor; the share of seeds passing is the pass probability (the plot and plan.json's
``pass_grid``)."""

from __future__ import annotations

from dataclasses import dataclass

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.plan.executor import Executor
from scaling_lab.plan.search import PlanOutcome, Progress, _Evaluator, _key, pareto
from scaling_lab.plan.space import Dimension
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

__all__ = ["MAX_GRID_CELLS", "PassGrid", "pass_grid"]

#: A grid of more cells than this is refused (each cell runs every seed).
MAX_GRID_CELLS = 2_500


@dataclass(frozen=True)
class PassGrid:
    x: Dimension
    y: Dimension
    fixed: dict[str, JsonValue]  # the other dimensions' values (the recommended candidate's)
    fixed_from: str  # which candidate fixed them
    seeds: tuple[int, ...]
    passes: tuple[tuple[int, ...], ...]  # passes[iy][ix]: seeds passing at (x[ix], y[iy])

    def probability(self, ix: int, iy: int) -> float:
        return self.passes[iy][ix] / len(self.seeds)

    def json(self) -> JsonObject:
        return {
            "x": {"paths": list(self.x.paths), "values": list(self.x.values)},
            "y": {"paths": list(self.y.paths), "values": list(self.y.values)},
            "fixed": dict(self.fixed),
            "fixed_from": self.fixed_from,
            "seeds": list(self.seeds),
            "passes": [list(row) for row in self.passes],
        }


def pass_grid(
    scenario: Scenario,
    system: SystemConfig,
    outcome: PlanOutcome,
    axes: tuple[int, int],
    *,
    executor: Executor,
    mode: str = "fast",
    progress: Progress = lambda line: None,
    label: str = "--grid",
) -> PassGrid:
    """Run every (x, y) pair of the dimensions at ``axes`` (indices into the plan's
    dimensions) for the plan's seeds; candidates the search already ran are reused."""
    dims = outcome.dimensions
    ix, iy = axes
    x, y = dims[ix], dims[iy]
    cells = len(x.values) * len(y.values)
    if cells > MAX_GRID_CELLS:
        raise InputError(
            f"{label}: {len(x.values)} x {len(y.values)} = {cells:,} cells; at most "
            f"{MAX_GRID_CELLS:,} (take a coarser step)"
        )
    if outcome.best is not None:
        base, fixed_from = outcome.best, "recommended"
    elif outcome.candidates:
        base, fixed_from = pareto(outcome.candidates)[-1], "most likely to pass"
    else:
        raise InputError(f"{label}: the plan evaluated no candidate to take the other values from")
    ev = _Evaluator(scenario, system, dims, list(outcome.seeds), executor, mode, progress)
    for c in outcome.candidates:
        ev.seen[_key(c.values)] = c
    batch = []
    for vy in y.values:
        for vx in x.values:
            v = list(base.values)
            v[ix], v[iy] = vx, vy
            batch.append(tuple(v))
    results = ev.evaluate(batch)
    n = len(x.values)
    passes = tuple(
        tuple(c.passes for c in results[row * n : (row + 1) * n]) for row in range(len(y.values))
    )
    fixed = {
        d.name: v for i, (d, v) in enumerate(zip(dims, base.values, strict=True)) if i not in axes
    }
    return PassGrid(x, y, fixed, fixed_from, tuple(outcome.seeds), passes)
