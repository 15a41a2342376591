"""The scenario's faults in the model: same meaning as the governor's, same in both modes."""

from __future__ import annotations

import pytest

from scaling_lab.model import predict
from scaling_lab.result.models import RunResult
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

SCENARIO = Scenario.model_validate(
    {
        "name": "faulty",
        "traffic": {"start_rate": 300, "stages": [{"duration": "60s", "target": 300}]},
        "faults": [
            {"kind": "dynamodb_errors", "at": "10s", "duration": "10s", "rate": 0.3},
            {
                "kind": "lambda_errors",
                "at": "25s",
                "duration": "5s",
                "rate": 0.1,
                "target": "lambda",
            },
            {"kind": "added_latency", "at": "32s", "duration": "5s", "latency_ms": 40},
            {"kind": "throttle_storm", "at": "45s", "duration": "10s", "capacity_factor": 0.2},
            {"kind": "sqs_unavailable", "at": "50s", "duration": "5s", "target": "sqs"},
        ],
    }
)
SYSTEM = SystemConfig.model_validate(
    {
        "name": "faultsys",
        "lambda": {"reserved_concurrency": 200},
        "dynamodb": {
            "mode": "provisioned",
            "write": {"provisioned": 400},
            "read": {"provisioned": 100},
            "burst_window_s": "0s",
            "partitions": 2,
        },
    }
)


@pytest.fixture(scope="module")
def results() -> dict[str, RunResult]:
    return {m: predict(SCENARIO, SYSTEM, mode=m, seed=3) for m in ("fast", "exact")}


@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_each_fault_shows_in_its_window(results: dict[str, RunResult], mode: str) -> None:
    series = results[mode].series
    p95 = [s.latency_ms.p95 or 0.0 for s in series]
    assert max(p95[1:10]) < 60 < min(p95[11:19])  # errors retried with 50 ms backoff
    assert all(s.errors is not None and s.errors.server == 0 for s in series[:25])
    assert sum(s.errors.server for s in series[25:30] if s.errors) > 50  # 10 % of 1,500
    assert min(p95[33:36]) > 60  # 40 ms more on every DynamoDB call
    assert [series[t].ddb_provisioned_wcu for t in (44, 46, 56)] == [400.0, 80.0, 400.0]
    assert sum(s.ddb_throttled or 0 for s in series[46:55]) > 1000
    notes = " ".join(results[mode].provenance.notes)
    assert "sqs_unavailable@sqs" in notes and "dynamodb_errors" in notes


def test_modes_agree_under_faults(results: dict[str, RunResult]) -> None:
    f, e = results["fast"].summary, results["exact"].summary
    assert abs(f.errors.throttled - e.errors.throttled) <= max(10, 0.01 * e.errors.throttled)
    assert abs(f.errors.server - e.errors.server) <= max(10, 0.2 * e.errors.server)
    assert f.latency_ms.p95 == pytest.approx(e.latency_ms.p95, rel=0.03)
