"""Capacity planning: the search finds the rule's answer, says why, and gives the same plan on
every executor (Dask included) for the same seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.errors import InputError
from scaling_lab.plan import (
    LocalExecutor,
    dump_json,
    pareto,
    parse_choice,
    parse_range,
    recommended_yaml,
    search,
)
from scaling_lab.plan.search import _probes
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system

RATE = 400  # req/s, evenly spaced (as k6 sends)


RATE_CAP = Path(__file__).resolve().parents[2] / "fixtures" / "plan" / "rate-cap.yaml"


def _scenario() -> Scenario:
    sc = load_scenario(RATE_CAP)
    assert sc.peak_rate == RATE
    return sc


def _plan(executor, **kw):  # type: ignore[no-untyped-def]
    dims = [parse_range("lambda.reserved_concurrency=10:120:5")]
    return search(
        _scenario(),
        load_system("staging-no-burst"),
        dims,
        seeds=[1, 2],
        executor=executor,
        **kw,
    )


def test_the_plan_finds_the_request_rate_cap() -> None:
    # Lambda's request-rate limit is 10 x concurrency per second
    # (https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html): 400 req/s need a
    # reserved concurrency of at least 40; far less would do for Little's law (~8 busy).
    outcome = _plan(LocalExecutor(1))
    assert outcome.best is not None
    (reserved,) = outcome.best.values
    assert 40 <= reserved <= 45, reserved
    under = outcome.below["lambda.reserved_concurrency"]
    assert under.values[0] == reserved - 5 and not under.passed
    assert outcome.evaluated < len(outcome.dimensions[0].values)  # bisected, not a full grid


def test_the_answer_follows_the_rule_when_the_rule_changes() -> None:
    # 20 requests per second per environment: the same 400 req/s need half as many
    from scaling_lab.system.overrides import apply_overrides

    system = apply_overrides(load_system("staging-no-burst"), ["lambda.rps_per_environment=20"])
    dims = [parse_range("lambda.reserved_concurrency=10:120:5")]
    outcome = search(_scenario(), system, dims, seeds=[1, 2], executor=LocalExecutor(1))
    assert outcome.best is not None and 20 <= outcome.best.values[0] <= 25


def test_a_candidate_passes_only_when_every_seed_does() -> None:
    outcome = _plan(LocalExecutor(1))
    for c in outcome.candidates:
        assert c.passed == all(t.passed for t in c.trials)
        low, high = c.pass_interval()
        assert low <= c.pass_probability <= high


def test_the_same_plan_on_a_process_pool_and_on_dask() -> None:
    distributed = pytest.importorskip("distributed")
    serial = dump_json(_plan(LocalExecutor(1)))
    assert dump_json(_plan(LocalExecutor(2))) == serial
    from scaling_lab.plan import DaskExecutor

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert dump_json(_plan(DaskExecutor(client=client))) == serial


def test_nothing_passes_when_the_ranges_cannot() -> None:
    dims = [parse_range("lambda.reserved_concurrency=10:30:10")]
    outcome = search(
        _scenario(), load_system("staging-no-burst"), dims, seeds=[1], executor=LocalExecutor(1)
    )
    assert outcome.best is None and outcome.evaluated == 1  # the most capacity already fails
    assert any("no configuration" in n for n in outcome.notes)


def test_the_recommended_file_says_why_and_is_a_valid_system(tmp_path: Path) -> None:
    from scaling_lab.system import load_system as load

    outcome = _plan(LocalExecutor(1))
    text = recommended_yaml(outcome, load_system("staging-no-burst"))
    assert text is not None and "failed" in text and "lambda.reserved_concurrency" in text
    path = tmp_path / "planned.yaml"
    path.write_text(text, encoding="utf-8")
    assert load(path).lambda_.reserved_concurrency == outcome.best.values[0]  # type: ignore[union-attr]


def test_ranges_and_choices_parse_and_refuse_bad_input() -> None:
    d = parse_range("dynamodb.write.provisioned,dynamodb.write.auto_scaling.min=100:200:50")
    assert d.paths == ("dynamodb.write.provisioned", "dynamodb.write.auto_scaling.min")
    assert d.values == (100, 150, 200) and d.monotone
    assert d.overrides(150) == [
        "dynamodb.write.provisioned=150",
        "dynamodb.write.auto_scaling.min=150",
    ]
    assert parse_choice("sdk.retry_mode=legacy,standard").values == ("legacy", "standard")
    for bad in ("x=1:2", "x=2:1:1", "x=1:2:0", "=1:2:1", "x=a:b:c"):
        with pytest.raises(InputError, match="--range"):
            parse_range(bad)
    with pytest.raises(InputError, match="--choice"):
        parse_choice("x=")


def test_probes_spread_between_the_bounds() -> None:
    assert _probes(-1, 10, 2) == [3, 6]  # thirds of the 11 steps from -1 to 10
    assert _probes(3, 5, 2) == [4]
    assert _probes(3, 4, 2) == []


def test_pareto_keeps_what_no_other_beats() -> None:
    outcome = _plan(LocalExecutor(1))
    front = pareto(outcome.candidates)
    assert front[-1].pass_probability == 1.0
    costs = [c.monthly_usd for c in front]
    assert costs == sorted(costs)


def test_cli_plan_writes_its_files_and_exits_by_its_verdict(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        json.dumps(_scenario().model_dump(mode="json", by_alias=True, exclude_none=True))
    )
    args = ["plan", str(scenario), "--system", "staging-no-burst", "--seeds", "1"]
    args += ["--executor", "serial", "--out", str(tmp_path / "p")]
    assert main([*args, "--range", "lambda.reserved_concurrency=10:120:10"]) == 0
    assert (tmp_path / "p" / "recommended.yaml").is_file()
    assert json.loads((tmp_path / "p" / "plan.json").read_text())["recommended"] is not None
    assert main([*args, "--range", "lambda.reserved_concurrency=10:20:10"]) == 99
    assert main([*args, "--range", "lambda.nope=1:2:1"]) == 2
