"""Regression snapshots: the model's output for fixed seeds, pinned so an unintended change
shows up. These are NOT validation (test_queueing_theory.py is); when a deliberate model
change moves them, re-pin the numbers and say why in the commit.

Last re-pinned when DynamoDB partitions became derived from the table's throughput (staging:
ceil(5,000 / 1,000 + 1,000 / 3,000) = 6 partitions, so the spike throttles on the partition
cap) and recovery had to beat the deadline strictly."""

from __future__ import annotations

import pytest

from scaling_lab.model import predict
from scaling_lab.result.models import Summary
from scaling_lab.scenario import load_scenario, load_system

pytestmark = pytest.mark.snapshot


def _summary(system: str) -> Summary:
    return predict(load_scenario("spike").scaled(0.05), load_system(system), seed=42).summary


def test_snapshot_spike_staging_scale_005_seed_42() -> None:
    s = _summary("staging")
    assert s.requests == 65634
    assert (s.errors.throttled, s.errors.server, s.ddb_throttled) == (23249, 10, 29679)
    assert s.throttles_by_cause is not None
    assert s.throttles_by_cause["lambda_concurrency"] == 23249
    assert s.throttles_by_cause["dynamodb_retries_exhausted"] == 10
    assert s.latency_ms.p95 == pytest.approx(374.527)
    assert s.latency_ms.p99 == pytest.approx(795.135)
    assert (s.recovery_s, s.max_lambda_concurrency, s.cold_starts) == (120.0, 50.0, 49)
    assert s.recovery is not None and not s.recovery.recovered
    assert s.max_ddb_provisioned_wcu == pytest.approx(429.0)


def test_snapshot_spike_staging_no_burst_scale_005_seed_42() -> None:
    s = _summary("staging-no-burst")
    assert (s.errors.throttled, s.errors.server, s.ddb_throttled) == (29256, 51, 19023)
    assert s.latency_ms.p95 == pytest.approx(173.695)
    assert s.recovery_s == 120.0
    assert s.max_ddb_provisioned_wcu == pytest.approx(358.0)


def test_snapshot_spike_on_demand_scale_005_seed_42() -> None:
    s = _summary("on-demand")
    assert (s.errors.throttled, s.errors.server, s.ddb_throttled) == (35343, 12, 25170)
    assert s.latency_ms.p95 == pytest.approx(372.735)
    assert s.recovery_s == 120.0
    assert s.max_ddb_provisioned_wcu is None


def test_snapshot_spike_spike_ready_scale_005_seed_42() -> None:
    s = _summary("spike-ready")
    assert s.requests == 65634
    assert s.errors.total == 0
    assert s.ddb_throttled == 0
    assert s.latency_ms.p95 == pytest.approx(32.031)
    assert s.latency_ms.p99 == pytest.approx(41.119)
    assert (s.recovery_s, s.max_lambda_concurrency, s.cold_starts) == (1.0, 39.0, 31)
    assert s.recovery is not None and s.recovery.recovered
    assert s.max_ddb_provisioned_wcu == pytest.approx(706.0)
