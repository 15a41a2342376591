"""Windowed thresholds (``p(95)<100 over 10s``): every window of the per-second series counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scaling_lab.cli.main import main
from scaling_lab.load.gate import GateLimits, gate
from scaling_lab.load.script import k6_thresholds
from scaling_lab.provenance import make_provenance
from scaling_lab.result import ErrorClass, ResultBuilder, ResultKind, load_result, save_result
from scaling_lab.scenario.models import Scenario
from scaling_lab.scenario.thresholds import ThresholdSyntaxError, parse_threshold
from scaling_lab.system import load_system


def scenario(thresholds, seconds=60):
    return Scenario.model_validate(
        {
            "name": "windows",
            "traffic": {"start_rate": 20, "stages": [{"duration": f"{seconds}s", "target": 20}]},
            "thresholds": {"post_events": thresholds},
        }
    )


def spiky(thresholds, slow=(30, 31), slow_ms=300.0, fast_ms=10.0, errors=()):
    """60 s x 20 req/s at fast_ms, except 2 seconds at slow_ms: 40 of 1,200 (3.3 %) slow."""
    b = ResultBuilder(
        scenario(thresholds),
        load_system("staging"),
        ResultKind.OBSERVED,
        make_provenance(target="local", backend="embedded", seed=1),
    )
    raw: dict[int, list[float]] = {}
    for t in range(60):
        for i in range(20):
            ms = (slow_ms if t in slow else fast_ms) + i * 0.37
            err = ErrorClass.SERVER if (t in errors and i < 4) else None
            b.record(t + 0.05 * i, "post_events", ms, err)
            raw.setdefault(t, []).append(ms)
    return b.build(), raw


def test_parse_over_suffix():
    th = parse_threshold("p(95)<100 over 10s")
    assert (th.aggregation, th.percentile, th.value, th.window_s) == ("p", 95, 100, 10)
    assert th.k6_expression == "p(95)<100"
    assert parse_threshold("rate<0.01 over 1m").window_s == 60
    assert parse_threshold("p(95)<100").window_s is None


@pytest.mark.parametrize(
    "text", ["p(95)<100 over 0s", "p(95)<100 over 1.5s", "p(95)<100 over soon", "p95<1 over 5s"]
)
def test_bad_windows_are_refused(text):
    with pytest.raises(ThresholdSyntaxError):
        parse_threshold(text)


def test_a_spike_is_not_averaged_away():
    result, raw = spiky(["p(95)<100", "p(95)<100 over 10s"])
    whole, windowed = result.summary.thresholds
    assert whole.passed is True and whole.observed is not None and whole.observed < 20
    assert windowed.passed is False
    # The worst 10 s window holds both slow seconds (30, 31): its p95 is the p95 of the union
    # of those 10 seconds' samples (nearest rank), to HDR's 3 significant digits.
    assert windowed.window_start_s is not None and 22 <= windowed.window_start_s <= 30
    t0 = windowed.window_start_s
    union = sorted(ms for t in range(t0, t0 + 10) for ms in raw[t])
    nearest_rank = union[int(np.ceil(0.95 * len(union))) - 1]
    assert windowed.observed == pytest.approx(nearest_rank, rel=1e-3)
    assert result.summary.thresholds_passed is False


def test_windowed_rate_and_count():
    result, _ = spiky(
        ["rate<0.03", "rate<0.03 over 5s", "count>=100 over 5s", "count>100 over 5s"],
        errors=(10,),
    )
    whole, win_rate, count_ok, count_bad = result.summary.thresholds
    assert whole.passed is True  # 4 errors in 1,200 requests
    assert win_rate.passed is False and win_rate.observed == pytest.approx(4 / 100)
    assert count_ok.passed is True and count_ok.observed == 100
    assert count_bad.passed is False


def test_a_short_run_is_one_window():
    result, _ = spiky(["p(95)<100 over 10m"])
    (v,) = result.summary.thresholds
    assert v.window_start_s == 0 and v.passed is True


def test_k6_gets_no_windowed_threshold():
    th = k6_thresholds(scenario(["p(95)<100", "p(95)<50 over 10s"]))
    assert th == {"http_req_duration{scenario:post_events}": ["p(95)<100"]}


def test_recovery_conditions_refuse_a_window():
    with pytest.raises(ValueError, match="judged per second"):
        Scenario.model_validate(
            {
                "name": "r",
                "traffic": {"stages": [{"duration": "10s", "target": 5, "name": "s"}]},
                "recovery": {"spike": "s", "condition": ["p(95)<100 over 5s"]},
            }
        )


def test_check_judges_windows(tmp_path: Path):
    result, _ = spiky(["p(95)<100", "p(95)<100 over 10s"])
    verdicts = gate(result, GateLimits())
    assert [v.passed for v in verdicts] == [True, False]
    assert "worst window from" in verdicts[1].check
    path = tmp_path / "r.json"
    save_result(result, path)
    assert (
        load_result(path).summary.thresholds[1].window_start_s
        == result.summary.thresholds[1].window_start_s
    )
    assert main(["check", str(path)]) == 99
    assert main(["check", str(path), "--no-scenario-thresholds", "--p95-ms", "100"]) == 0


STEP = """\
name: win-step
system: staging
traffic:
  start_rate: 100
  stages:
    - {duration: 40s, target: 100, name: before}
    - {duration: 20s, target: 2000, ramp: step, name: spike}
keys: {tenants: 50}
thresholds:
  post_events: [%s]
"""


def test_predict_judges_windows(tmp_path: Path):
    """A 100 -> 2,000 req/s step: cold starts push one window's p95 far above the run's."""
    whole = tmp_path / "whole.yaml"
    whole.write_text(STEP % '"p(95)<100"')
    windowed = tmp_path / "windowed.yaml"
    windowed.write_text(STEP % '"p(95)<100 over 5s"')
    assert main(["predict", str(whole), "--out", str(tmp_path / "a")]) == 0
    assert main(["predict", str(windowed), "--out", str(tmp_path / "b")]) == 99
    (res,) = [load_result(p) for p in (tmp_path / "b").glob("*.json")]
    (v,) = res.summary.thresholds
    assert v.window_start_s is not None and 35 <= v.window_start_s <= 40
