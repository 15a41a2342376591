"""Lambda rules: scaling rate, caps, provisioned concurrency, request rate, idle reclaim."""

from __future__ import annotations

from scaling_lab.model.world import LambdaPool
from scaling_lab.system.models import SystemConfig


def pool(**lam: object) -> LambdaPool:
    return LambdaPool(SystemConfig.model_validate({"name": "t", "lambda": lam}))


def test_2023_rule_1000_new_environments_then_100_per_second() -> None:
    p = pool(account_concurrency=5000)
    warm, cold, t_cap, t_scale, t_rps = p.admit(0.0, 1500)
    assert (warm, cold, t_cap, t_scale, t_rps) == (0, 1000, 0, 500, 0)
    _, cold, *_ = p.admit(1.0, 500)
    assert cold == 100  # 1,000 per 10 s, refilled continuously
    _, cold, *_ = p.admit(100.0, 5000)
    assert cold == 1000  # unused allowance does not accumulate beyond 1,000


def test_reserved_concurrency_is_a_hard_cap_and_throttles_are_not_queued() -> None:
    p = pool(account_concurrency=1000, reserved_concurrency=50)
    warm, cold, t_cap, _t_scale, _ = p.admit(0.0, 80)
    assert (cold, t_cap) == (50, 30)
    p.release(0.1, 10)
    warm, cold, t_cap, _, _ = p.admit(0.2, 20)
    assert (warm, cold, t_cap) == (10, 0, 10)


def test_provisioned_environments_are_warm_and_spill_over_cold() -> None:
    p = pool(reserved_concurrency=100, provisioned_concurrency=10)
    warm, cold, *_ = p.admit(0.0, 15)
    assert (warm, cold) == (10, 5)


def test_request_rate_is_ten_per_environment_of_the_cap() -> None:
    p = pool(account_concurrency=100)
    *_, t_rps = p.admit(0.0, 1500)
    assert t_rps == 500  # 10 x 100 per second


def test_legacy_rule_initial_burst_then_500_per_minute() -> None:
    p = pool(account_concurrency=10_000, scaling={"rule": "legacy", "legacy_initial_burst": 3000})
    _, cold, _, t_scale, _ = p.admit(0.0, 4000)
    assert (cold, t_scale) == (3000, 1000)
    _, cold, *_ = p.admit(30.0, 1000)
    assert cold == 0
    _, cold, *_ = p.admit(60.0, 1000)
    assert cold == 500


def test_idle_environments_are_reclaimed_but_provisioned_stay() -> None:
    p = pool(provisioned_concurrency=2, idle_reclaim_s="10m")
    p.admit(0.0, 5)
    p.release(1.0, 5)
    p.reclaim(500.0)
    assert p.idle == 5
    p.reclaim(602.0)
    assert (p.idle, p.envs) == (2, 2)
