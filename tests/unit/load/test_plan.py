"""Safety rules: loopback by default, a plan and --yes elsewhere, no production by accident."""

from __future__ import annotations

import pytest
from load_helpers import ROOT

from scaling_lab.errors import InputError
from scaling_lab.load.plan import (
    check_plan,
    is_loopback_host,
    looks_like_production,
    make_plan,
    normalize_target,
)
from scaling_lab.scenario import load_scenario

SPIKE = ROOT / "scenarios" / "spike.yaml"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("api.example.com", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_loopback(host, loopback):
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("host", "prod"),
    [
        ("api.prod.example.com", True),
        ("production-api.example.com", True),
        ("API-PROD.example.com", True),
        ("staging.example.com", False),
    ],
)
def test_production_hosts(host, prod):
    assert looks_like_production(host) is prod


def test_plan_figures_follow_the_scaled_scenario():
    sc = load_scenario(SPIKE).scaled(0.1)
    plan = make_plan(sc, "https://abc.lambda-url.us-east-1.on.aws/")
    assert plan.target == "https://abc.lambda-url.us-east-1.on.aws"
    assert plan.peak_rate_per_s == pytest.approx(1000.0)
    assert plan.duration_s == 240
    # 1K/s 1 min, 10K/s 2 min, 1K/s 1 min at x0.1
    assert plan.total_requests == 100 * 60 + 1000 * 120 + 100 * 60
    assert not plan.loopback
    assert any("1,000.0 req/s" in line for line in plan.lines())


def test_non_loopback_needs_yes():
    plan = make_plan(load_scenario(SPIKE), "https://staging.example.com")
    with pytest.raises(InputError, match="--yes"):
        check_plan(plan)
    check_plan(plan, confirmed=True)


def test_loopback_runs_without_yes():
    check_plan(make_plan(load_scenario(SPIKE), "http://127.0.0.1:8080"))
    check_plan(make_plan(load_scenario(SPIKE), "local"))


def test_production_is_refused_even_with_yes():
    plan = make_plan(load_scenario(SPIKE), "https://api.prod.example.com")
    with pytest.raises(InputError, match="looks like production"):
        check_plan(plan, confirmed=True)
    check_plan(plan, confirmed=True, allow_production=True)


def test_max_rate_caps_the_plan_and_names_the_scale_that_fits():
    plan = make_plan(load_scenario(SPIKE), "local")
    with pytest.raises(InputError, match=r"exceeds --max-rate 500.0; lower it with --scale 0.05"):
        check_plan(plan, max_rate=500)
    check_plan(plan, max_rate=10_000)


def test_all_problems_are_reported_together():
    plan = make_plan(load_scenario(SPIKE), "https://prod.example.com")
    with pytest.raises(InputError) as exc:
        check_plan(plan, max_rate=10)
    text = str(exc.value)
    assert "production" in text and "--max-rate" in text and "--yes" in text


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://x.example.com",
        "staging.example.com",
        "https://user:pw@x.example.com",
        "https://x.example.com/?a=1",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "http://127.0.0.1:port",
    ],
)
def test_bad_targets(bad):
    with pytest.raises(InputError, match="--target"):
        normalize_target(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0])
def test_max_rate_must_be_a_positive_number(bad):
    """nan compares false with everything (it was ignored); -1 suggested --scale -0.01."""
    plan = make_plan(load_scenario(SPIKE), "local")
    with pytest.raises(InputError, match=r"^--max-rate: expected a positive number") as exc:
        check_plan(plan, max_rate=bad)
    assert "--scale" not in str(exc.value)
