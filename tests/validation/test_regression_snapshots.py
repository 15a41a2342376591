"""Regression snapshots: the model's output for fixed seeds, pinned so an unintended change
shows up. These are NOT validation (test_queueing_theory.py is); when a deliberate model
change moves them, re-pin the numbers and say why in the commit."""

from __future__ import annotations

import pytest

from scaling_lab.model import predict
from scaling_lab.result.models import Summary
from scaling_lab.scenario import load_scenario, load_system

pytestmark = pytest.mark.validation


def _summary(system: str) -> Summary:
    return predict(load_scenario("spike").scaled(0.05), load_system(system), seed=42).summary


def test_snapshot_spike_staging_scale_005_seed_42() -> None:
    s = _summary("staging")
    assert s.requests == 65634
    assert s.errors.total == 0
    assert s.latency_ms.p95 == pytest.approx(32.031)
    assert s.latency_ms.p99 == pytest.approx(41.311)
    assert (s.recovery_s, s.max_lambda_concurrency, s.cold_starts) == (1.0, 50.0, 49)


def test_snapshot_spike_staging_no_burst_scale_005_seed_42() -> None:
    s = _summary("staging-no-burst")
    assert (s.errors.throttled, s.errors.server, s.ddb_throttled) == (29256, 51, 19023)
    assert s.latency_ms.p95 == pytest.approx(173.695)
    assert s.recovery_s == 120.0
