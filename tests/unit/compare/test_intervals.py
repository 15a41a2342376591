"""Interval mode: an observation judged against the spread of a replicated prediction, with
count-aware noise for small counts, a family-wise level, and how surprising it is."""

from __future__ import annotations

import math

import pytest

from scaling_lab.compare import JudgeMode, Tolerances, Verdict, compare
from scaling_lab.compare.core import _z_crit
from scaling_lab.model import predict
from scaling_lab.result.figures import figure_key, result_figures
from scaling_lab.result.models import RunResult
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

SCENARIO = Scenario.model_validate(
    {
        "name": "iv",
        "traffic": {
            "start_rate": 40,
            "stages": [
                {"duration": "10s", "target": 40, "name": "before"},
                {"duration": "10s", "target": 120, "ramp": "step", "name": "spike"},
                {"duration": "10s", "target": 40, "ramp": "step", "name": "after"},
            ],
        },
        "mix": {"post_events": 1},
        "recovery": {"spike": "spike", "condition": ["p(95)<1000"], "hold": "3s", "deadline": "9s"},
    }
)
SYSTEM = SystemConfig.model_validate(
    {"name": "iv", "lambda": {"reserved_concurrency": 2}, "dynamodb": {"mode": "on_demand"}}
)


@pytest.fixture(scope="module")
def replicated() -> RunResult:
    return predict(SCENARIO, SYSTEM, runs=8, seed=1)


def with_replicates(result: RunResult, key: str, values: list[float | None]) -> RunResult:
    reps = dict(result.replicates or {})
    reps[key] = values
    return result.model_copy(update={"replicates": reps})


def observed_like(result: RunResult, seed: int) -> RunResult:
    return predict(SCENARIO, SYSTEM, seed=seed)


def test_replicated_prediction_records_every_judged_figure(replicated: RunResult) -> None:
    reps = replicated.replicates
    assert reps is not None
    first = result_figures(replicated)
    assert set(reps) == set(first)
    for key, values in reps.items():
        assert len(values) == 8
        assert values[0] == first[key]  # replication 1 is the result's own series
    assert any(len(set(v)) > 1 for v in reps.values())  # replications differ


def test_a_draw_of_the_same_model_passes_and_says_how_surprising(replicated: RunResult) -> None:
    cmp = compare(replicated, observed_like(replicated, seed=100))
    assert cmp.mode is JudgeMode.INTERVAL and cmp.replications == 8
    assert cmp.passed, [(ln.figure, ln.phase, ln.z) for ln in cmp.failed]
    throttled = cmp.line("throttled", "during")
    assert throttled is not None and throttled.interval is not None
    assert throttled.z is not None and throttled.p_value is not None
    assert 0 <= throttled.p_value <= 1
    assert math.isclose(throttled.p_value, math.erfc(abs(throttled.z) / math.sqrt(2)))
    assert "8 replications" in cmp.describe()


def test_one_stray_429_where_none_is_predicted_is_noise_three_are_not(
    replicated: RunResult,
) -> None:
    key = figure_key("throttled", "before")
    pred = with_replicates(replicated, key, [0.0] * 8)
    obs = replicated.model_copy()
    for seen, verdict in ((1, Verdict.PASS), (6, Verdict.FAIL)):
        patched = _with_phase_throttles(obs, "before", seen)
        ln = compare(pred, patched).line("throttled", "before")
        assert ln is not None and ln.observed == seen
        assert ln.verdict is verdict, (seen, ln.interval)


def test_a_count_far_outside_the_spread_fails(replicated: RunResult) -> None:
    key = figure_key("throttled", "during")
    values = [v for v in (replicated.replicates or {})[key] if v is not None]
    mean = sum(values) / len(values)
    pred = with_replicates(replicated, key, [mean] * 8)  # no spread: Poisson and model error
    lo = compare(pred, _with_phase_throttles(replicated, "during", round(mean * 0.7)))
    hi = compare(pred, _with_phase_throttles(replicated, "during", round(mean * 1.02)))
    assert lo.line("throttled", "during").verdict is Verdict.FAIL  # type: ignore[union-attr]
    assert hi.line("throttled", "during").verdict is Verdict.PASS  # type: ignore[union-attr]


def test_family_level_follows_the_number_of_gated_lines() -> None:
    assert _z_crit(0.05, 1) == pytest.approx(1.959964, rel=1e-5)
    assert _z_crit(0.05, 10) == pytest.approx(2.807034, rel=1e-5)  # Bonferroni 0.005 two-sided


def test_one_replication_or_fixed_mode_falls_back_to_fixed_tolerances(
    replicated: RunResult,
) -> None:
    single = predict(SCENARIO, SYSTEM, seed=1)
    cmp = compare(single, observed_like(single, seed=5))
    assert cmp.mode is JudgeMode.FIXED
    assert any("one replication" in n for n in cmp.notes)
    fixed = compare(replicated, single, Tolerances(mode=JudgeMode.FIXED))
    assert fixed.mode is JudgeMode.FIXED
    assert all(ln.interval is None for ln in fixed.lines)


def test_excluded_phases_and_figures_are_shown_not_gated(replicated: RunResult) -> None:
    obs = _with_phase_throttles(replicated, "before", 500)
    cmp = compare(replicated, obs, exclude_phases=("before",))
    ln = cmp.line("throttled", "before")
    assert ln is not None and ln.verdict is Verdict.INFO
    assert "not gated: the before phase" in cmp.describe()
    cmp2 = compare(replicated, obs, exclude_figures=("throttled",))
    assert all(ln.verdict is not Verdict.FAIL for ln in cmp2.lines if ln.figure == "throttled")
    assert cmp2.line("throttled", "during").verdict is Verdict.INFO  # type: ignore[union-attr]


def _with_phase_throttles(result: RunResult, phase: str, count: int) -> RunResult:
    """Another run (its own id) whose 429s inside ``phase`` add up to ``count`` (all in its
    first second)."""
    from scaling_lab.result.figures import phases_of

    ph = next(p for p in phases_of(result) if p.name == phase)
    series = []
    placed = False
    for s in result.series:
        if ph.contains(s.t_s) and s.errors is not None:
            n = count if not placed else 0
            placed = True
            s = s.model_copy(update={"errors": s.errors.model_copy(update={"throttled": n})})
        series.append(s)
    return result.model_copy(
        update={"series": series, "replicates": None, "run_id": f"{result.run_id}-observed"}
    )


def test_compare_cli_judges_intervals_and_leaves_a_phase_ungated(
    replicated: RunResult,
    tmp_path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    from scaling_lab.cli.main import main
    from scaling_lab.result import save_result

    pred = save_result(replicated, tmp_path / "pred.json")
    obs = save_result(_with_phase_throttles(replicated, "before", 500), tmp_path / "obs.json")
    assert main(["compare", str(pred), str(obs)]) == 99
    assert "prediction intervals" in capsys.readouterr().out
    capsys.readouterr()
    # the before phase is shown, not gated (the whole run's count still carries the 500)
    assert main(["compare", str(pred), str(obs), "--exclude-phase", "before"]) == 99
    assert "not gated: the before phase" in capsys.readouterr().out
    assert main(["compare", str(pred), str(obs), "--exclude-phase", "middle"]) == 2
    assert "--exclude-phase 'middle'" in capsys.readouterr().err
