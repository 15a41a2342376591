"""rate_at follows k6 ramping-arrival-rate: linear from the previous target over the stage."""

import pytest

from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Traffic
from scaling_lab.system import load_system


def traffic(start, stages):
    return Traffic.model_validate({"start_rate": start, "stages": stages})


def test_linear_ramp_from_start_rate():
    t = traffic(0, [{"duration": "1m", "target": 10000}, {"duration": "4m", "target": 10000}])
    assert t.rate_at(0) == 0
    assert t.rate_at(30) == pytest.approx(5000)
    assert t.rate_at(60) == pytest.approx(10000)
    assert t.rate_at(299.9) == pytest.approx(10000)
    assert t.rate_at(300) == 0  # after the run
    assert t.rate_at(-1) == 0
    assert t.total_requests() == pytest.approx(30 * 10000 + 240 * 10000)


def test_ramp_starts_from_previous_target():
    t = traffic(100, [{"duration": "10s", "target": 100}, {"duration": "10s", "target": 300}])
    assert t.rate_at(5) == 100
    assert t.rate_at(15) == pytest.approx(200)


def test_step_jumps_then_holds():
    t = traffic(
        1000,
        [
            {"duration": "1m", "target": 1000},
            {"duration": "2m", "target": 10000, "ramp": "step"},
            {"duration": "1m", "target": 1000, "ramp": "step"},
        ],
    )
    assert t.rate_at(59.999) == 1000
    assert t.rate_at(60) == 10000
    assert t.rate_at(179.9) == 10000
    assert t.rate_at(180) == 1000
    assert t.duration_s == 240
    assert t.peak_rate == 10000


def test_zero_length_stage_is_an_instant_change():
    t = traffic(
        0,
        [
            {"duration": "10s", "target": 10},
            {"duration": "0s", "target": 50},
            {"duration": "10s", "target": 50},
        ],
    )
    assert t.rate_at(10) == 50


def test_scenario_rate_applies_scale_and_mix():
    sc = load_scenario("mixed").scaled(0.1)
    assert sc.rate_at(60) == pytest.approx(100)
    assert sc.rate_at(60, endpoint="post_events") == pytest.approx(80)
    assert sc.rate_at(60, endpoint="get_inbox") == pytest.approx(20)
    assert sc.rate_at(60, endpoint="ack") == 0


def test_shipped_peaks():
    assert load_scenario("spike").peak_rate == 10000
    assert load_scenario("full-load").peak_rate == 10000
    assert load_scenario("spike").spike_start_s() == 60


@pytest.mark.parametrize("k", [0.001, 0.013, 0.02, 0.0337, 0.05, 0.1, 0.37, 1.0, 2.5])
def test_scaled_shipped_systems_stay_valid(k):
    from scaling_lab.scenario.loader import scenarios_dir
    from scaling_lab.system import SystemConfig, scale_system

    for path in sorted((scenarios_dir() / "systems").glob("*.yaml")):
        scaled = scale_system(load_system(path), k)
        SystemConfig.model_validate(scaled.model_dump(by_alias=True))
