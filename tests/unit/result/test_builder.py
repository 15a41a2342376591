"""ResultBuilder: one schema, nulls for the unobservable, summary/threshold/recovery maths."""

import json

import numpy as np
import pytest

from scaling_lab.errors import InputError
from scaling_lab.provenance import make_provenance
from scaling_lab.result import (
    ErrorClass,
    LatencyHistogram,
    ResultBuilder,
    ResultKind,
    classify_status,
    load_result,
    save_result,
)
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system


def builder(scenario="spike", observable=None):
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return ResultBuilder(
        sc,
        load_system("staging"),
        ResultKind.OBSERVED,
        make_provenance(target="local", backend="embedded", seed=1),
        observable=observable,
    )


def step_scenario(hold="5s", deadline="20s"):
    return Scenario.model_validate(
        {
            "name": "step",
            "traffic": {
                "start_rate": 10,
                "stages": [
                    {"duration": "10s", "target": 10, "name": "before"},
                    {"duration": "40s", "target": 100, "ramp": "step", "name": "spike"},
                ],
            },
            "recovery": {
                "spike": "spike",
                "condition": ["p(95)<100"],
                "hold": hold,
                "deadline": deadline,
            },
        }
    )


def fill(b, seconds, latency_for, n=20, error_for=lambda t: None):
    for t in seconds:
        for _ in range(n):
            b.record(t + 0.1, "post_events", latency_for(t), error_for(t))


def test_unobservable_figures_are_null_not_zero():
    b = builder("smoke")
    fill(b, range(30), lambda t: 10.0)
    r = b.build()
    s0 = r.series[0]
    assert s0.lambda_concurrency is None and s0.ddb_provisioned_wcu is None
    assert s0.cold_starts is None and s0.sqs_depth is None and s0.offered is None
    assert r.summary.max_lambda_concurrency is None and r.summary.cold_start_fraction is None
    assert r.summary.ddb_throttled is None


def test_observable_but_quiet_counter_is_zero():
    b = builder("smoke", observable={"cold_starts", "lambda_invocations"})
    fill(b, range(30), lambda t: 10.0)
    b.figure(3, "cold_starts", 2)
    b.figure(3, "lambda_invocations", 20)
    r = b.build()
    assert r.series[0].cold_starts == 0
    assert r.series[3].cold_starts == 2
    assert r.summary.cold_starts == 2
    assert r.summary.cold_start_fraction == pytest.approx(0.1)


def test_levels_carry_forward_and_gauges_take_the_max():
    b = builder("smoke")
    b.figure(0, "ddb_provisioned_wcu", 100)
    b.figure(5, "ddb_provisioned_wcu", 200)
    b.figure(2, "lambda_concurrency", 3)
    b.figure(2, "lambda_concurrency", 7)
    b.figure(2, "lambda_concurrency", 5)
    r = b.build()
    assert [s.ddb_provisioned_wcu for s in r.series[:7]] == [100] * 5 + [200] * 2
    assert r.series[2].lambda_concurrency == 7
    assert r.summary.max_ddb_provisioned_wcu == 200


def test_percentiles_come_from_hdr_within_precision():
    rng = np.random.default_rng(7)
    values = rng.lognormal(3, 0.5, 20000)
    b = builder("smoke")
    for i, v in enumerate(values):
        b.record(i % 30, "post_events", float(v))
    r = b.build()
    for q, got in (
        (50, r.summary.latency_ms.p50),
        (95, r.summary.latency_ms.p95),
        (99, r.summary.latency_ms.p99),
    ):
        assert got == pytest.approx(np.percentile(values, q), rel=0.01)
    assert r.summary.latency_ms.max == pytest.approx(values.max(), rel=0.001)


def test_errors_by_class_and_error_rate():
    b = builder("smoke")
    for status in (202, 202, 429, 500, 503, 400, 0, 202):
        b.record(1, "post_events", None if status == 0 else 5.0, classify_status(status))
    r = b.build()
    e = r.summary.errors
    assert (e.throttled, e.server, e.client, e.timeout) == (1, 2, 1, 1)
    assert r.summary.error_rate == pytest.approx(5 / 8)
    assert r.series[1].errors.total == 5


def test_thresholds_use_the_scenarios_k6_expressions():
    b = builder("smoke")
    fill(b, range(30), lambda t: 150.0 if t == 3 else 20.0)
    r = b.build()
    verdicts = {v.expression: v for v in r.summary.thresholds}
    assert verdicts["p(95)<100"].passed is True
    assert verdicts["max<5000"].passed is True
    assert verdicts["p(99)<300"].passed is True
    assert verdicts["rate<0.001"].observed == 0
    assert r.summary.thresholds_passed is True


def test_failed_threshold_is_reported():
    b = builder("smoke")
    fill(b, range(30), lambda t: 120.0)
    r = b.build()
    assert r.summary.thresholds_passed is False
    assert [v.expression for v in r.summary.thresholds if v.passed is False] == ["p(95)<100"]


def test_recovery_is_end_of_last_bad_second_after_spike():
    b = builder(step_scenario())
    fill(b, range(50), lambda t: 300.0 if 10 <= t < 17 else 20.0)
    rec = b.build().summary.recovery
    assert rec.first_violation_s == 0
    assert rec.recovery_s == 7
    assert rec.recovered is True


def test_recovery_zero_when_never_violated():
    b = builder(step_scenario())
    fill(b, range(50), lambda t: 20.0)
    rec = b.build().summary.recovery
    assert rec.recovery_s == 0 and rec.first_violation_s is None and rec.recovered


def test_recovery_late_violation_counts():
    b = builder(step_scenario(deadline="20s"))
    fill(b, range(50), lambda t: 300.0 if 30 <= t < 35 else 20.0)
    rec = b.build().summary.recovery
    assert rec.first_violation_s == 20 and rec.recovery_s == 25 and rec.recovered is False


def test_never_recovered_when_run_ends_bad():
    b = builder(step_scenario(hold="5s"))
    fill(b, range(50), lambda t: 300.0 if t >= 47 else 20.0)
    rec = b.build().summary.recovery
    assert rec.recovery_s is None and rec.recovered is False


def test_errors_break_recovery_condition():
    b = builder(step_scenario())
    fill(
        b,
        range(50),
        lambda t: 10.0,
        error_for=lambda t: ErrorClass.THROTTLED if 10 <= t < 13 else None,
    )
    assert b.build().summary.recovery.recovery_s == 3


def test_round_trip_and_schema_version(tmp_path):
    b = builder("smoke")
    fill(b, range(30), lambda t: 12.0)
    r = b.build()
    path = save_result(r, tmp_path / "r.json")
    again = load_result(path)
    assert again.summary == r.summary and again.scenario == r.scenario
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    (tmp_path / "future.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version 99"):
        load_result(tmp_path / "future.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(InputError, match="not a result file"):
        load_result(tmp_path / "junk.json")


def test_histogram_encode_merge():
    a, c = LatencyHistogram(), LatencyHistogram()
    a.record(10.0, 90)
    c.record(500.0, 10)
    a.merge(LatencyHistogram.decode(c.encode()))
    assert a.count == 100
    assert a.percentile_ms(95) == pytest.approx(500, rel=0.001)
    assert LatencyHistogram().percentile_ms(50) is None


def test_requests_without_a_response_count_in_the_summary():
    # every request timed out (no latency): they are requests and errors all the same
    b = builder("smoke")
    b.record(0.5, "post_events", None, ErrorClass.TIMEOUT, count=7)
    b.record(1.5, "post_events", None, ErrorClass.TIMEOUT)
    s = b.build().summary
    assert s.requests == 8 and s.errors.timeout == 8 and s.error_rate == 1.0
    assert s.endpoints["post_events"].requests == 8


def test_series_set_whole_match_figures_set_second_by_second():
    one, whole = builder("smoke"), builder("smoke")
    values = [3.0, 0.0, 7.0, 2.0]
    for t, v in enumerate(values):
        one.figure(t, "lambda_throttles", v)
        one.offered(t, v + 1)
    whole.figure_series("lambda_throttles", values)
    whole.offered_series([v + 1 for v in values])
    a, b_ = one.build().series, whole.build().series
    assert [s.lambda_throttles for s in a] == [s.lambda_throttles for s in b_]
    assert [s.offered for s in a] == [s.offered for s in b_]
    lat = np.array([5.0, 9.0, 250.0])
    many, single = builder("smoke"), builder("smoke")
    many.record_many(0.2, "post_events", lat, np.array([2, 1, 3]))
    for v, c in ((5.0, 2), (9.0, 1), (250.0, 3)):
        single.record(0.2, "post_events", v, count=c)
    ra, rb = many.build(), single.build()
    assert ra.series[0].endpoints["post_events"].hdr == rb.series[0].endpoints["post_events"].hdr
    assert ra.summary.latency_ms == rb.summary.latency_ms
