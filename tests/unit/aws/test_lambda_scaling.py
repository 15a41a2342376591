"""Lambda rules, step by step: scaling rate, caps, provisioned concurrency, request rate, reclaim.

Small hand-checked cases of :class:`scaling_lab.aws.LambdaEnvironments`; the closed-form
checks over whole runs, in every engine, are in tests/validation/test_aws_rules.py.
"""

from __future__ import annotations

from scaling_lab.aws import LambdaEnvironments, ThrottleCause
from scaling_lab.system.models import LambdaConfig


def envs(**lam: object) -> LambdaEnvironments:
    return LambdaEnvironments(LambdaConfig.model_validate(lam))


def test_2023_rule_1000_new_environments_then_100_per_second() -> None:
    p = envs(account_concurrency=5000)
    a = p.admit(0.0, 1500)
    assert (a.warm, a.cold, a.throttled, a.cause) == (
        0,
        1000,
        500,
        ThrottleCause.LAMBDA_SCALING_RATE,
    )
    assert p.admit(1.0, 500).cold == 100  # 1,000 per 10 s, refilled continuously
    assert p.admit(100.0, 5000).cold == 1000  # unused allowance does not accumulate past 1,000


def test_fractional_refill_is_kept_for_the_next_arrival() -> None:
    """100 environments/s: one arrival every 7 ms finds 0.7 of a token, then 1.4 ... A whole
    token or none is taken, so over 10 s exactly 1,000 new environments are made, not ~0."""
    p = envs(account_concurrency=5000)
    p.admit(0.0, 1000)  # empty the bucket
    cold = sum(p.admit(0.007 * i, 1).cold for i in range(1, 1429))  # 10 s of arrivals
    assert cold == 999  # floor(1428 * 0.7): every fraction carried over


def test_reserved_concurrency_is_a_hard_cap_and_throttles_are_not_queued() -> None:
    p = envs(account_concurrency=1000, reserved_concurrency=50)
    a = p.admit(0.0, 80)
    assert (a.cold, a.throttled, a.cause) == (50, 30, ThrottleCause.LAMBDA_CONCURRENCY)
    p.release(0.1, 10)
    a = p.admit(0.2, 20)
    assert (a.warm, a.cold, a.throttled) == (10, 0, 10)


def test_provisioned_environments_are_warm_and_spill_over_cold() -> None:
    p = envs(account_concurrency=1000, reserved_concurrency=100, provisioned_concurrency=10)
    a = p.admit(0.0, 15)
    assert (a.warm, a.cold) == (10, 5)


def test_request_rate_is_ten_per_environment_of_the_cap() -> None:
    p = envs(account_concurrency=100)  # 1,000 requests/s, the bucket holds one second
    a = p.admit(0.0, 150)
    assert (a.admitted, a.cause) == (100, ThrottleCause.LAMBDA_CONCURRENCY)  # cap first
    p.release(0.0, 100)
    for _ in range(9):  # 100 at a time, finished at once: only the rate binds
        p.release(0.0, p.admit(0.0, 100).admitted)
    a = p.admit(0.0, 100)
    assert (a.admitted, a.cause) == (0, ThrottleCause.LAMBDA_REQUEST_RATE)
    assert p.admit(0.0105, 100).admitted == 10  # refilled at 1,000/s


def test_legacy_rule_is_a_bucket_of_the_burst_refilled_500_per_minute() -> None:
    p = envs(account_concurrency=10_000, scaling={"rule": "legacy", "legacy_initial_burst": 3000})
    a = p.admit(0.0, 4000)
    assert (a.cold, a.throttled) == (3000, 1000)
    assert p.admit(30.0, 1000).cold == 250  # 500 per minute, refilled continuously
    assert p.admit(60.0, 1000).cold == 250


def test_idle_environments_are_reclaimed_but_provisioned_stay() -> None:
    p = envs(account_concurrency=1000, provisioned_concurrency=2, idle_reclaim_s="10m")
    p.admit(0.0, 5)
    p.release(1.0, 5)
    assert p.reclaim(500.0) == 0 and p.idle == 5
    assert p.reclaim(602.0) == 3
    assert (p.idle, p.environments) == (2, 2)


def test_warm_reuse_takes_provisioned_first_then_the_most_recent() -> None:
    p = envs(account_concurrency=1000, provisioned_concurrency=1, idle_reclaim_s=100)
    p.admit(0.0, 3)  # 1 provisioned + 2 on demand
    p.release(1.0, 1)  # an on-demand one idles from 1 s (busy 2 > provisioned 1)
    p.release(50.0, 1)  # the other on-demand one idles from 50 s
    p.release(60.0, 1)  # the last busy one: provisioned
    assert p.admit(70.0, 1).warm == 1  # uses the provisioned environment
    assert p.admit(70.0, 1).warm == 1  # then the one idle since 50 s
    assert p.reclaim(101.0) == 1  # the one idle since 1 s
    assert p.environments == 2
