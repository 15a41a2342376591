"""``run --csv`` (per-second series, Locust's columns) and the k6-style end-of-run summary."""

from __future__ import annotations

import csv
import io

import pytest

from scaling_lab.provenance import make_provenance
from scaling_lab.report.k6_summary import k6_style_summary
from scaling_lab.report.series_csv import LOCUST_COLUMNS, series_csv
from scaling_lab.result import ErrorClass, ResultBuilder, ResultKind
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system


@pytest.fixture
def result():
    sc = Scenario.model_validate(
        {
            "name": "csv",
            "traffic": {"start_rate": 10, "stages": [{"duration": "5s", "target": 10}]},
            "mix": {"post_events": 4, "get_inbox": 1},
            "thresholds": {"post_events": ["p(95)<100"]},
        }
    )
    b = ResultBuilder(
        sc,
        load_system("staging"),
        ResultKind.OBSERVED,
        make_provenance(target="local", backend=None, seed=1),
        observable={"dropped_iterations"},
    )
    for t in range(5):
        for i in range(8):
            b.record(t + 0.1, "post_events", 10.0 + t + i, ErrorClass.THROTTLED if i == 0 else None)
        for i in range(2):
            b.record(t + 0.2, "get_inbox", 5.0 + i)
    return b.build()


def rows(result):
    return list(csv.DictReader(io.StringIO(series_csv(result))))


def test_locust_columns_come_first(result):
    header = series_csv(result).splitlines()[0].split(",")
    assert header[: len(LOCUST_COLUMNS)] == LOCUST_COLUMNS
    assert "Requests/s" in header and "95%" in header and "Total Request Count" in header


def test_one_row_per_second_per_endpoint_plus_aggregated(result):
    got = rows(result)
    assert len(got) == 5 * 3
    agg = [r for r in got if r["Name"] == "Aggregated"]
    assert [int(r["Requests/s"]) for r in agg] == [s.completed for s in result.series]
    assert [int(r["Failures/s"]) for r in agg] == [1] * 5
    assert [int(r["Total Request Count"]) for r in agg] == [10, 20, 30, 40, 50]
    posts = [r for r in got if r["Name"] == "/v1/events"]
    assert {r["Type"] for r in posts} == {"POST"}
    for r, s in zip(posts, result.series, strict=True):
        assert float(r["95%"]) == pytest.approx(s.endpoints["post_events"].latency_ms.p95)
        assert r["throttled"] == "1"
    # Total Max so far grows with the slowest second; per-second 100% is that second's own
    assert [float(r["Total Max Response Time"]) for r in posts] == pytest.approx(
        [17, 18, 19, 20, 21], rel=1e-3
    )


def test_unobservable_figures_are_empty_not_zero(result):
    agg = [r for r in rows(result) if r["Name"] == "Aggregated"]
    assert all(r["lambda_concurrency"] == "" for r in agg)  # null in the result
    assert all(r["dropped_iterations"] == "0" for r in agg)  # observed: 0


def test_k6_style_summary(result):
    text = k6_style_summary(result)
    p95 = result.summary.endpoints["post_events"].latency_ms.p95
    assert f"p(95)={p95:.2f}ms" in text
    assert "http_reqs" in text and "50  10.00/s" in text
    assert "http_req_failed" in text and "10.00%  5 out of 50" in text
    assert "✓ 'p(95)<100'" in text
