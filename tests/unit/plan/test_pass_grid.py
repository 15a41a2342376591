"""The pass probability over two dimensions: every pair of their values, run through the
plan's executor, agrees with Lambda's request-rate cap, and is written as a plot and in
plan.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
import yaml

from scaling_lab.cli.main import main
from scaling_lab.errors import InputError
from scaling_lab.plan import LocalExecutor, parse_range, pass_grid, pick_grid, search
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system

T = TypeVar("T")
R = TypeVar("R")

RATE = 400  # req/s, evenly spaced (as k6 sends)
SEEDS = [1, 2]


RATE_CAP = Path(__file__).resolve().parents[2] / "fixtures" / "plan" / "rate-cap.yaml"


def _scenario_doc() -> dict[str, object]:
    doc: dict[str, object] = yaml.safe_load(RATE_CAP.read_text(encoding="utf-8"))
    return doc


class Counting:
    """The serial executor, counting the trials it is given."""

    name = "counting"

    def __init__(self) -> None:
        self.trials = 0
        self._inner = LocalExecutor(1)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        self.trials += len(items)
        return self._inner.map(fn, items)

    def close(self) -> None:
        self._inner.close()


def test_the_grid_follows_the_request_rate_cap() -> None:
    """Lambda serves at most rps_per_environment x concurrency requests a second
    (https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html), so 400 req/s pass
    exactly where reserved_concurrency x rps_per_environment >= 400. The grid's products are
    150..1,800 and none is 400, so every cell is 0 or 2 of 2 seeds; the staircase is
    reserved >= 80 at 5 rps, >= 40 at 10, and every value at 15 and 20."""
    scenario = Scenario.model_validate(_scenario_doc())
    system = load_system("staging-no-burst")
    dims = [
        parse_range("lambda.reserved_concurrency=30:90:20"),  # 30, 50, 70, 90
        parse_range("lambda.rps_per_environment=5:20:5"),  # 5, 10, 15, 20
    ]
    pool = Counting()
    outcome = search(scenario, system, dims, seeds=SEEDS, executor=pool)
    searched = pool.trials
    grid = pass_grid(scenario, system, outcome, (0, 1), executor=pool)
    reserved = [int(str(v)) for v in dims[0].values]
    rps = [int(str(v)) for v in dims[1].values]
    expected = [[2 if r * e >= RATE else 0 for r in reserved] for e in rps]
    assert [list(row) for row in grid.passes] == expected
    assert grid.probability(0, 0) == 0.0 and grid.probability(3, 3) == 1.0
    # every cell ran through the executor, for every seed; what the search ran is reused
    seen = {c.values for c in outcome.candidates}
    new_cells = sum((r, e) not in seen for r in reserved for e in rps)
    assert pool.trials - searched == new_cells * len(SEEDS)
    assert grid.seeds == tuple(SEEDS) and grid.fixed == {} and grid.fixed_from == "recommended"


def test_the_other_dimensions_stay_at_the_recommended_values() -> None:
    scenario = Scenario.model_validate(_scenario_doc())
    dims = [
        parse_range("lambda.reserved_concurrency=30:70:20"),
        parse_range("lambda.rps_per_environment=10:20:10"),
        parse_range("lambda.memory_mb=512:1024:512"),
    ]
    system = load_system("staging-no-burst")
    outcome = search(scenario, system, dims, seeds=[1], executor=LocalExecutor(1))
    assert outcome.best is not None
    grid = pass_grid(scenario, system, outcome, (0, 1), executor=LocalExecutor(1))
    assert grid.fixed == {"lambda.memory_mb": outcome.best.values[2]}
    assert [list(r) for r in grid.passes] == [[0, 1, 1], [1, 1, 1]]  # 30 x 10 < 400


def test_grid_names_pick_dimensions_or_say_why_not() -> None:
    dims = [
        parse_range("lambda.reserved_concurrency=10:20:10"),
        parse_range("dynamodb.write.provisioned,dynamodb.write.auto_scaling.min=100:200:100"),
    ]
    assert pick_grid(dims, ("reserved_concurrency", "write.provisioned")) == (0, 1)
    assert pick_grid(dims, ("auto_scaling.min", "lambda.reserved_concurrency")) == (1, 0)
    with pytest.raises(InputError, match="not one of the plan's dimensions"):
        pick_grid(dims, ("reserved", "memory"))
    with pytest.raises(InputError, match="same dimension"):
        pick_grid(dims, ("write.provisioned", "auto_scaling.min"))
    with pytest.raises(InputError, match="names 2 dimensions"):
        pick_grid(dims, ("o", "reserved"))


def test_a_grid_too_large_is_refused_before_any_trial() -> None:
    from scaling_lab.plan import PlanOutcome

    dims = [parse_range("a.b=0:100:1"), parse_range("c.d=0:24:1")]  # 101 x 25 = 2,525 cells
    outcome = PlanOutcome("s", "b", dims, [1], "counting")
    pool = Counting()
    with pytest.raises(InputError, match="2,525 cells; at most 2,500"):
        pass_grid(
            Scenario.model_validate(_scenario_doc()),
            load_system("staging"),
            outcome,
            (0, 1),
            executor=pool,
        )
    assert pool.trials == 0


def test_cli_grid_writes_the_plot_and_records_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(_scenario_doc()), encoding="utf-8")
    out = tmp_path / "p"
    args = ["plan", str(scenario), "--system", "staging-no-burst", "--seeds", "2", "--seed", "1"]
    args += ["--executor", "serial", "--out", str(out)]
    args += ["--range", "lambda.reserved_concurrency=30:50:20"]
    args += ["--range", "lambda.rps_per_environment=10:15:5"]
    assert main([*args, "--grid", "reserved_concurrency,rps_per_environment"]) == 0
    png = (out / "pass_probability.png").read_bytes()
    assert png.startswith(b"\x89PNG") and (out / "frontier.png").is_file()
    doc = json.loads((out / "plan.json").read_text())["pass_grid"]
    assert doc["x"] == {"paths": ["lambda.reserved_concurrency"], "values": [30, 50]}
    assert doc["y"] == {"paths": ["lambda.rps_per_environment"], "values": [10, 15]}
    assert doc["seeds"] == [1, 2] and doc["passes"] == [[0, 2], [2, 2]]  # 30 x 10 < 400
    capsys.readouterr()
    assert main([*args, "--grid", "reserved_concurrency,nope"]) == 2
    err = capsys.readouterr().err
    assert "--grid: 'nope'" in err and len(err.strip().splitlines()) == 1
    # without --grid there is no pass_grid and no plot
    (out / "pass_probability.png").unlink()
    assert main(args) == 0
    assert json.loads((out / "plan.json").read_text())["pass_grid"] is None
    assert not (out / "pass_probability.png").exists()
