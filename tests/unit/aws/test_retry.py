"""botocore's retry schedules, pinned to the botocore installed here."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import numpy as np
import pytest
from botocore.retries import quota, standard

from scaling_lab.aws.retry import (
    LEGACY_DYNAMODB_BASE_S,
    LEGACY_DYNAMODB_MAX_ATTEMPTS,
    STANDARD_MAX_ATTEMPTS,
    STANDARD_MAX_BACKOFF_S,
    STANDARD_QUOTA_INITIAL,
    STANDARD_RETRY_COST,
    RetryPolicy,
    RetryQuotaPool,
)
from scaling_lab.system.models import RetryMode, SdkConfig


def test_legacy_numbers_are_botocores() -> None:
    data = json.loads((Path(botocore.__file__).parent / "data" / "_retry.json").read_text())
    ddb = data["retry"]["dynamodb"]["__default__"]
    assert ddb["max_attempts"] == LEGACY_DYNAMODB_MAX_ATTEMPTS == 10
    assert ddb["delay"] == {
        "type": "exponential",
        "base": LEGACY_DYNAMODB_BASE_S,
        "growth_factor": 2,
    }


def test_standard_numbers_are_botocores() -> None:
    assert standard.DEFAULT_MAX_ATTEMPTS == STANDARD_MAX_ATTEMPTS == 3
    assert standard.ExponentialBackoff._MAX_BACKOFF == STANDARD_MAX_BACKOFF_S
    assert quota.RetryQuota.INITIAL_CAPACITY == STANDARD_QUOTA_INITIAL == 500
    assert standard.RetryQuotaChecker._RETRY_COST == STANDARD_RETRY_COST == 5
    assert "ProvisionedThroughputExceededException" in (
        standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    )


def test_legacy_schedule_is_50ms_doubling_without_jitter() -> None:
    p = RetryPolicy.from_sdk(SdkConfig(retry_mode=RetryMode.LEGACY))
    assert p.max_attempts == 10
    rng = np.random.default_rng(0)
    delays = [p.delay_s(a, rng) for a in range(1, 10)]
    assert delays == pytest.approx([0.05 * 2**i for i in range(9)])
    assert sum(delays) == pytest.approx(25.55)


def test_standard_schedule_is_full_jitter_capped_at_20s() -> None:
    p = RetryPolicy.from_sdk(SdkConfig(retry_mode=RetryMode.STANDARD))
    assert p.max_attempts == 3
    rng = np.random.default_rng(0)
    d1 = p.delays_s(1, 10_000, rng)
    assert d1.min() >= 0 and d1.max() < 1.0 and abs(d1.mean() - 0.5) < 0.02
    assert p.ceiling_s(2) == 2.0
    assert p.ceiling_s(10) == 20.0


def test_quota_allows_100_retries_per_client_then_refills_on_success() -> None:
    q = RetryQuotaPool(clients=1)
    assert q.acquire(1000) == 100
    assert q.acquire(1) == 0
    q.release(0, 1)
    assert q.acquire(1) == 1
    q.release(3)
    assert q.available == 3
