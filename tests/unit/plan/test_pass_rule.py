"""The pass rule of a plan (every seed, or P(pass) >= p): the search's answer on a pass law
known in closed form. A stand-in executor answers each trial from the law instead of the
model: at reserved concurrency v (10, 20, ... 100) the seeds 0 .. v/10 - 1 of 10 pass, so
P(pass) = v / 100 and the cheapest value with P(pass) >= p is 100 p (rounded up to a step)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from scaling_lab.cli.main import main
from scaling_lab.errors import InputError
from scaling_lab.plan import parse_range, search
from scaling_lab.plan.evaluate import Trial, TrialSpec
from scaling_lab.plan.search import required_passes
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system
from tests.unit.plan.test_capacity_plan import RATE_CAP

SEEDS = list(range(10))


class LawExecutor:
    """Answers every trial from the closed-form pass law; never runs the model."""

    name = "law"

    def map(self, fn: Callable[[Any], Any], items: Sequence[TrialSpec]) -> list[Trial]:
        out = []
        for spec in items:
            (override,) = spec.overrides
            v = int(override.split("=")[1])
            out.append(Trial(spec.overrides, spec.seed, spec.seed < v // 10, 0.0, 10.0, None, 1.0))
        return out

    def close(self) -> None:
        pass


def _best(min_pass: float) -> int:
    dims = [parse_range("lambda.reserved_concurrency=10:100:10")]
    outcome = search(
        load_scenario(RATE_CAP),
        load_system("staging-no-burst"),
        dims,
        seeds=SEEDS,
        executor=LawExecutor(),
        min_pass=min_pass,
    )
    assert outcome.best is not None
    best = int(outcome.best.values[0])  # type: ignore[arg-type]
    below = outcome.below.get("lambda.reserved_concurrency")
    assert (below is None) == (best == 10)  # the range's lowest value has nothing below
    # the evidence: one step below the answer passes fewer seeds than the rule needs
    need = required_passes(min_pass, len(SEEDS))
    assert (below.passes if below else -1) < need <= outcome.best.passes
    return best


@pytest.mark.parametrize(
    ("min_pass", "expected"), [(1.0, 100), (0.9, 90), (0.7, 70), (0.65, 70), (0.1, 10)]
)
def test_the_cheapest_value_meeting_the_pass_probability(min_pass: float, expected: int) -> None:
    assert _best(min_pass) == expected


def test_required_passes_is_the_least_k_with_k_over_n_at_least_p() -> None:
    assert [required_passes(p, 10) for p in (1.0, 0.9, 0.91, 0.5, 0.01)] == [10, 9, 10, 5, 1]
    assert required_passes(0.95, 20) == 19 and required_passes(0.3, 3) == 1


def test_a_bad_probability_is_refused() -> None:
    with pytest.raises(InputError, match="--min-pass-probability"):
        search(
            load_scenario(RATE_CAP),
            load_system("staging-no-burst"),
            [parse_range("lambda.reserved_concurrency=10:100:10")],
            seeds=SEEDS,
            executor=LawExecutor(),
            min_pass=0.0,
        )


def test_cli_states_the_rule_in_plan_json(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    out = tmp_path / "plan"
    argv = ["plan", str(RATE_CAP), "--system", "staging-no-burst", "--executor", "serial"]
    argv += ["--range", "lambda.reserved_concurrency=30:50:10", "--seeds", "2"]
    argv += ["--min-pass-probability", "0.5", "--out", str(out)]
    assert main(argv) == 0
    doc = json.loads((out / "plan.json").read_text())
    assert doc["min_pass_probability"] == 0.5
    assert doc["pass_rule"] == "at least 1 of 2 seeds (P(pass) >= 0.5)"
    assert "the rule: at least 1 of 2 seeds" in (out / "recommended.yaml").read_text()


def test_reserving_past_the_quota_asks_for_the_quota_it_needs() -> None:
    """0.4 requests a second per environment: 400 req/s need 1,000 environments reserved,
    and reserving 1,000 needs an account quota of 1,100 (100 unreserved); staging-no-burst's
    quota is 1,100, so 1,050 needs 1,150. The model runs (no stand-in)."""
    from scaling_lab.plan import LocalExecutor
    from scaling_lab.plan.search import quota_overrides
    from scaling_lab.system.overrides import apply_overrides

    base = apply_overrides(load_system("staging-no-burst"), ["lambda.rps_per_environment=0.4"])
    assert quota_overrides(base, ["lambda.reserved_concurrency=1000"]) == ()
    assert quota_overrides(base, ["lambda.reserved_concurrency=1050"]) == (
        "lambda.account_concurrency=1150",
    )
    # the plan's own quota is the plan's
    assert (
        quota_overrides(
            base, ["lambda.reserved_concurrency=1050", "lambda.account_concurrency=5000"]
        )
        == ()
    )
    outcome = search(
        load_scenario(RATE_CAP),
        base,
        [parse_range("lambda.reserved_concurrency=900:1200:50")],
        seeds=[1],
        executor=LocalExecutor(1),
    )
    assert outcome.best is not None and outcome.best.values == (1000,)
    top = next(c for c in outcome.candidates if c.values == (1200,))
    assert "lambda.account_concurrency=1300" in top.overrides and top.passed
    assert any("Service Quotas increase" in n for n in outcome.notes)
