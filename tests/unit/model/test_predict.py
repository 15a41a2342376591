"""predict(): one schema, deterministic for a seed, every figure the model knows filled."""

from __future__ import annotations

import time

import pytest

from scaling_lab.errors import InputError
from scaling_lab.model import predict, simulate
from scaling_lab.result.models import ResultKind
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system
from scaling_lab.system.models import SystemConfig


def small() -> Scenario:
    return load_scenario("ci-spike").scaled(0.05)


def staging() -> SystemConfig:
    return load_system("staging")


def test_same_seed_same_result_other_seed_other_result() -> None:
    a = predict(small(), staging(), seed=7)
    b = predict(small(), staging(), seed=7)
    c = predict(small(), staging(), seed=8)
    assert a.series == b.series
    assert a.summary.model_dump(exclude={"endpoints"}) == b.summary.model_dump(
        exclude={"endpoints"}
    )
    assert a.series != c.series


def test_model_never_reads_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> float:
        raise AssertionError("the model read the clock")

    for name in ("time", "monotonic", "perf_counter", "process_time"):
        monkeypatch.setattr(time, name, boom)
    world = simulate(small(), staging(), seed=1, mode="fast")
    assert world.fig.offered.sum() > 0
    simulate(small().scaled(0.2), staging(), seed=1, mode="exact")


def test_result_is_predicted_with_every_figure_the_model_knows() -> None:
    r = predict(small(), staging(), seed=3)
    assert r.kind is ResultKind.PREDICTED
    assert r.provenance.target == "model" and r.provenance.mode == "fast"
    s = r.series[40]
    for name in (
        "offered",
        "lambda_concurrency",
        "lambda_invocations",
        "lambda_throttles",
        "cold_starts",
        "ddb_consumed_wcu",
        "ddb_provisioned_wcu",
        "ddb_consumed_rcu",
        "ddb_provisioned_rcu",
        "ddb_throttled",
        "ddb_retries",
        "sqs_depth",
    ):
        assert getattr(s, name) is not None, name
    assert s.dropped_iterations is None  # a load-generator figure the model cannot know
    assert r.summary.throttles_by_cause is not None
    assert set(r.summary.throttles_by_cause) >= {
        "front_door",
        "lambda_concurrency",
        "lambda_scaling_rate",
        "dynamodb_retries_exhausted",
    }
    assert r.summary.requests == pytest.approx(small().total_requests(), rel=0.05)
    assert r.summary.recovery is not None


def test_on_demand_has_no_provisioned_figures() -> None:
    r = predict(small(), load_system("on-demand"), seed=3)
    assert r.series[10].ddb_provisioned_wcu is None
    assert r.series[10].ddb_consumed_wcu is not None


def test_scenario_scale_scales_the_system_too() -> None:
    sc = load_scenario("spike").scaled(0.02)  # 20 -> 200 req/s
    r = predict(sc, staging(), seed=1)
    # provisioned 5,000 WCU x 0.02 = 100
    assert r.series[5].ddb_provisioned_wcu == pytest.approx(100.0)
    assert r.provenance.scale == pytest.approx(0.02)
    assert r.system == staging()  # the file as given; the scale is in the provenance


def test_runs_give_a_mean_and_95_interval_per_figure() -> None:
    r = predict(small(), staging(), seed=11, runs=3)
    iv = r.intervals
    assert iv is not None
    p95 = iv["latency_ms.p95"]
    assert p95["low"] <= p95["mean"] <= p95["high"] and p95["n"] == 3
    first = predict(small(), staging(), seed=11)
    assert r.series == first.series  # the series is the first replication's


def test_api_gateway_turns_a_lambda_throttle_into_500_and_throttles_at_its_bucket() -> None:
    sc = Scenario.model_validate(
        {
            "name": "burst",
            "traffic": {"start_rate": 3000, "stages": [{"duration": "4s", "target": 3000}]},
        }
    )
    base = {"name": "gw", "lambda": {"account_concurrency": 20}, "dynamodb": {"mode": "on_demand"}}
    gw = SystemConfig.model_validate(
        {**base, "front_door": {"kind": "api_gateway", "rate_per_s": 1000, "burst": 500}}
    )
    r = predict(sc, gw, seed=2)
    causes = r.summary.throttles_by_cause or {}
    assert causes["front_door"] > 5000
    assert r.summary.errors.server >= causes["lambda_concurrency"] > 0
    url = SystemConfig.model_validate(base)
    r2 = predict(sc, url, seed=2)
    assert r2.summary.errors.server == 0 and r2.summary.errors.throttled > 0


def test_dynamodb_throttles_are_retried_then_fail_with_500() -> None:
    sc = Scenario.model_validate(
        {
            "name": "hot",
            "traffic": {"start_rate": 400, "stages": [{"duration": "20s", "target": 400}]},
        }
    )
    sy = SystemConfig.model_validate(
        {
            "name": "tiny",
            "dynamodb": {
                "mode": "provisioned",
                "write": {"provisioned": 50},
                "read": {"provisioned": 50},
                "burst_window_s": "0s",
            },
            "sdk": {"retry_mode": "standard"},
        }
    )
    r = predict(sc, sy, seed=1)
    assert r.summary.ddb_throttled and r.summary.ddb_throttled > 1000
    assert sum(s.ddb_retries or 0 for s in r.series) > 0
    causes = r.summary.throttles_by_cause or {}
    assert causes["dynamodb_retries_exhausted"] > 0
    assert r.summary.errors.server == causes["dynamodb_retries_exhausted"]


def test_bad_mode_and_runs_are_input_errors() -> None:
    with pytest.raises(InputError):
        predict(small(), staging(), mode="slow")
    with pytest.raises(InputError):
        predict(small(), staging(), runs=0)


def test_the_arrival_process_is_a_choice_the_result_records() -> None:
    from scaling_lab.errors import InputError
    from scaling_lab.scenario.models import ArrivalProcess

    sc = load_scenario("smoke").scaled(0.2)
    sy = load_system("staging")
    assert sc.traffic.arrivals is None  # the shipped scenarios leave it to the target
    poisson = predict(sc, sy, seed=3)
    even = predict(sc, sy, seed=3, arrivals="even")
    assert poisson.provenance.arrivals == "poisson"
    assert poisson.scenario.traffic.arrivals is ArrivalProcess.POISSON
    assert even.provenance.arrivals == "even"
    # even spacing: each second gets its rate's share, Poisson counts vary around it
    offered_even = {s.offered for s in even.series if s.offered}
    offered_poisson = {s.offered for s in poisson.series if s.offered}
    assert len(offered_even) <= 3 < len(offered_poisson)
    # the scenario's own choice stands unless the caller overrides it
    fixed = sc.with_arrivals(ArrivalProcess.EVEN)
    assert predict(fixed, sy, seed=3).provenance.arrivals == "even"
    with pytest.raises(InputError, match="arrivals: expected 'poisson' or 'even'"):
        predict(sc, sy, arrivals="uniform")


def test_predict_cli_takes_arrivals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scaling_lab.cli.main import main
    from scaling_lab.result import load_result

    assert main(
        ["predict", "smoke", "--scale", "0.1", "--arrivals", "even", "--out", str(tmp_path)]
    ) in (0, 99)
    (path,) = list(tmp_path.glob("*.json"))
    assert load_result(path).provenance.arrivals == "even"
    assert main(["predict", "smoke", "--arrivals", "nope", "--out", str(tmp_path)]) == 2
