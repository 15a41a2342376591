"""Power and false alarms of ``compare``'s interval mode, on the model alone: an observation
drawn from the true configuration is judged against predictions of the true configuration
(it should pass) and of a mis-specified one (it should fail). Shared by the test and by
``python tests/validation/compare_power.py``, which prints the rates docs/validation.md
quotes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rule_engines import deep_merge

from scaling_lab.compare import compare
from scaling_lab.model import predict
from scaling_lab.result.models import ResultKind, RunResult
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

REPLICATIONS = 10  # verify's default
PREDICTION_SETS = 2  # independent predictions (seeds) per case
OBSERVATIONS = 10  # observations judged against each: 20 trials per case
SCALE = 0.01


def scenario(
    before: float, spike: float, after: float, low: float, high: float, **extra: Any
) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "power",
            "traffic": {
                "start_rate": low,
                "stages": [
                    {"duration": f"{before:g}s", "target": low, "name": "before"},
                    {"duration": f"{spike:g}s", "target": high, "ramp": "step", "name": "spike"},
                    {"duration": f"{after:g}s", "target": low, "ramp": "step", "name": "after"},
                ],
            },
            "mix": {"post_events": 1},
            "recovery": {
                "spike": "spike",
                "condition": ["p(95)<100"],
                "hold": "5s",
                "deadline": "30s",
            },
            **extra,
        }
    )


def system(**over: Any) -> SystemConfig:
    base: dict[str, Any] = {
        "name": "power",
        "lambda": {
            "account_concurrency": 10_000,
            "reserved_concurrency": 5_000,
            "provisioned_concurrency": 0,
            "cold_start_ms": {"dist": "lognormal", "median_ms": 250, "sigma": 0.4},
            "service_time_ms": {
                "post_events": {"dist": "lognormal", "median_ms": 18, "sigma": 0.35},
                "get_inbox": {"dist": "lognormal", "median_ms": 12, "sigma": 0.35},
                "ack": {"dist": "lognormal", "median_ms": 10, "sigma": 0.35},
            },
        },
        "dynamodb": {"mode": "on_demand", "on_demand_warm_wcu": 1e6, "on_demand_warm_rcu": 1e6},
    }
    return SystemConfig.model_validate(deep_merge(base, over))


@dataclass(frozen=True)
class Case:
    name: str
    scenario: Scenario
    true: SystemConfig
    wrong: SystemConfig


def warm(write_units: float) -> dict[str, Any]:
    """An on-demand table whose instant ceiling is its warm throughput: a partition is 1,000
    write units of it."""
    return {
        "mode": "on_demand",
        "warm_throughput": {"write_units_per_s": write_units, "read_units_per_s": 3 * write_units},
    }


def cases() -> list[Case]:
    tenants = {"keys": {"tenants": 100}}  # no hot key: the table's and Lambda's limits show
    spike = scenario(20, 40, 20, 1_000, 10_500, **tenants).scaled(SCALE)
    slow_lambda = {
        "service_time_ms": {"post_events": {"dist": "lognormal", "median_ms": 300, "sigma": 0.35}}
    }
    auto = {
        "mode": "provisioned",
        "write": {
            "provisioned": 50,
            "auto_scaling": {
                "min": 50,
                "max": 1000,
                "target_utilization_pct": 70,
                "datapoint_s": "10s",
                "metric_delay_s": "10s",
                "actuation_delay_s": "10s",
            },
        },
        "read": {"provisioned": 50},
        "burst_window_s": "0s",
    }
    late = {"write": {"auto_scaling": {"metric_delay_s": "20s", "actuation_delay_s": "20s"}}}
    return [
        Case(
            "one partition fewer (warm throughput 11,000 -> 10,000 WCU, spike to 10,500/s)",
            spike,
            system(dynamodb=warm(11_000)),
            system(dynamodb=warm(10_000)),
        ),
        Case(
            "service time +30 %",
            spike,
            system(),
            system(**{"lambda": {"service_time_ms": {"post_events": {"median_ms": 18 * 1.3}}}}),
        ),
        Case(
            "half the Lambda scaling rate (1,000 -> 500 environments per 10 s; 300 ms handler)",
            spike,
            system(**{"lambda": slow_lambda}),
            system(**{"lambda": {**slow_lambda, "scaling": {"envs_per_interval": 500}}}),
        ),
        Case(
            "auto-scaling delay doubled (metric and UpdateTable delays 10 -> 20 s)",
            scenario(20, 60, 10, 25, 60, **tenants),
            system(dynamodb=auto),
            system(dynamodb=deep_merge(auto, late)),
        ),
    ]


def as_observed(r: RunResult) -> RunResult:
    prov = r.provenance.model_copy(update={"target": "local", "arrivals": None})
    return r.model_copy(
        update={"kind": ResultKind.OBSERVED, "provenance": prov, "replicates": None}
    )


def rates(case: Case, seed0: int = 10_000) -> tuple[float, float]:
    """(pass rate against the true configuration's predictions, detection rate against the
    wrong one's) over PREDICTION_SETS x OBSERVATIONS trials, even arrivals as in verify."""
    sc = case.scenario
    obs = [
        as_observed(predict(sc, case.true, seed=seed0 + 7919 * i, arrivals="even"))
        for i in range(PREDICTION_SETS * OBSERVATIONS)
    ]
    passed = caught = 0
    for k in range(PREDICTION_SETS):
        seed = 1 + k * REPLICATIONS
        right = predict(sc, case.true, seed=seed, runs=REPLICATIONS, arrivals="even")
        wrong = predict(sc, case.wrong, seed=seed, runs=REPLICATIONS, arrivals="even")
        for o in obs[k * OBSERVATIONS : (k + 1) * OBSERVATIONS]:
            passed += compare(right, o).passed
            caught += not compare(wrong, o).passed
    n = PREDICTION_SETS * OBSERVATIONS
    return passed / n, caught / n


if __name__ == "__main__":
    for case in cases():
        ok, caught = rates(case)
        print(
            f"{case.name}: same configuration passes {ok:.0%}, "
            f"mis-specification caught {caught:.0%}",
            flush=True,
        )
