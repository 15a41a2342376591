"""Folding k6 CSV output: start-second buckets, error classes, dropped iterations, k6 agreement."""

from __future__ import annotations

import gzip
import json
import math

import pytest
from load_helpers import FIXTURES, make_builder

from scaling_lab.load.aggregate import K6CsvAggregator, LiveStats

HEADER = "metric_name,timestamp,metric_value,error_code,scenario,status,extra_tags,metadata\n"
T0 = 1_800_000_000_000  # epoch ms of the start mark


def start(t0: int = T0) -> str:
    return f"scaling_lab_start_ms,{t0},{t0}.000000,,,,,\n"


def dur(
    end_ms: float,
    ms: float,
    status: int | str = 202,
    scenario: str = "post_events",
    error_code: str = "",
) -> str:
    return (
        f"http_req_duration,{int(end_ms)},{ms:.6f},{error_code},{scenario},{status},phase=load,\n"
    )


def fold(scenario, system, text: str, chunk: int | None = None, **kw):
    b = make_builder(scenario, system)
    agg = K6CsvAggregator(b, ["post_events"], **kw)
    if chunk is None:
        agg.feed(text)
    else:
        for i in range(0, len(text), chunk):
            agg.feed(text[i : i + chunk])
    agg.finish()
    return agg, b.build()


def test_requests_are_counted_in_the_second_they_started(sample_scenario, staging):
    # ends at 2.1 s after 300 ms: started at 1.8 s -> second 1, not second 2
    text = HEADER + start() + dur(T0 + 2100, 300.0) + dur(T0 + 2100, 50.0)
    _, res = fold(sample_scenario, staging, text)
    assert res.series[1].completed == 1 and res.series[1].offered == 1
    assert res.series[2].completed == 1
    assert res.series[1].latency_ms.max == pytest.approx(300.0, rel=1e-3)


def test_status_codes_map_to_error_classes(sample_scenario, staging):
    rows = [
        dur(T0 + 500, 10, 202),
        dur(T0 + 500, 10, 429),
        dur(T0 + 500, 10, 503),
        dur(T0 + 500, 10, 400),
        dur(T0 + 31_000, 30_000, 0, error_code="1050"),
    ]
    _, res = fold(sample_scenario, staging, HEADER + start() + "".join(rows))
    e = res.summary.errors
    assert (e.throttled, e.server, e.client, e.timeout) == (1, 1, 1, 1)
    assert res.summary.requests == 5
    # a request without a response counts as a request and an error, not as a latency
    assert res.summary.endpoints["post_events"].latency_ms.max == pytest.approx(10.0, rel=1e-3)


def test_setup_and_other_metrics_are_ignored(sample_scenario, staging):
    text = (
        HEADER
        + "http_reqs,1,1,,,202,phase=setup,\n"
        + start()
        + "http_req_duration,1800000000100,5.0,,,202,phase=setup,\n"
        + "http_req_waiting,1800000000100,5.0,,post_events,202,phase=load,\n"
        + dur(T0 + 100, 5.0)
    )
    agg, res = fold(sample_scenario, staging, text)
    assert res.summary.requests == 1 and agg.requests == 1


def test_dropped_iterations_are_a_separate_figure(sample_scenario, staging):
    text = (
        HEADER
        + start()
        + dur(T0 + 100, 5.0)
        + f"dropped_iterations,{T0 + 3500},1.000000,,post_events,,phase=load,\n" * 3
    )
    _, res = fold(sample_scenario, staging, text)
    assert res.series[3].dropped_iterations == 3
    assert res.series[0].dropped_iterations == 0  # observed, so 0 and not null
    assert res.summary.dropped_iterations == 3
    assert res.summary.errors.total == 0


def test_samples_before_the_start_mark_wait_for_it(sample_scenario, staging):
    text = HEADER + dur(T0 + 1500, 10.0) + start() + dur(T0 + 200, 10.0)
    _, res = fold(sample_scenario, staging, text)
    assert [s.completed for s in res.series[:2]] == [1, 1]


def test_chunk_boundaries_do_not_matter(sample_scenario, staging):
    text = HEADER + start() + "".join(dur(T0 + 40 * i, 3.0 + i % 17) for i in range(1, 200))
    _, whole = fold(sample_scenario, staging, text)
    _, pieces = fold(sample_scenario, staging, text, chunk=7)
    assert whole.summary == pieces.summary


def test_start_times_past_the_end_go_to_the_last_second(sample_scenario, staging):
    text = HEADER + start() + dur(T0 + 10_004, 2.0)  # duration is 10 s
    _, res = fold(sample_scenario, staging, text, duration_s=sample_scenario.duration_s)
    assert len(res.series) == 10 and res.series[9].completed == 1


def test_header_order_is_read_from_the_file(sample_scenario, staging):
    header = "metric_name,timestamp,metric_value,status,error_code,scenario,extra_tags,metadata\n"
    text = header + start() + f"http_req_duration,{T0 + 100},5.0,429,,post_events,,\n"
    _, res = fold(sample_scenario, staging, text)
    assert res.summary.errors.throttled == 1


def test_live_stats_show_the_last_seconds():
    live = LiveStats()
    for s in range(12):
        for _ in range(10 + s):
            live.add(s, 1.0 + s, None)
    from scaling_lab.result import ErrorClass

    live.add(11, None, ErrorClass.TIMEOUT)
    snap = live.snapshot(elapsed_s=12.2)
    assert snap.rate_per_s == 22  # second 11: 21 responses + 1 timeout
    assert snap.errors["timeout"] == 1
    assert snap.p95_ms == pytest.approx(12.0, rel=1e-2)  # seconds 2..11 only


def _k6_rank_bounds(values: list[float], q: float) -> tuple[float, float]:
    s = sorted(values)
    pos = q / 100 * (len(s) - 1)
    return s[math.floor(pos)], s[math.ceil(pos)]


def test_percentiles_agree_with_k6_summary_within_hdr_precision(sample_scenario, staging):
    """Recorded k6 1.1.0 output (tests/fixtures/k6/record.py): our HDR figures vs k6's own."""
    text = gzip.decompress((FIXTURES / "sample.csv.gz").read_bytes()).decode()
    summary = json.loads((FIXTURES / "sample-summary.json").read_text())
    k6 = summary["metrics"]["http_req_duration{scenario:post_events}"]
    failed = summary["metrics"]["http_req_failed{scenario:post_events}"]
    raw = [
        float(line.split(",")[2])
        for line in text.splitlines()
        if line.startswith("http_req_duration,") and ",post_events," in line
    ]
    _, res = fold(sample_scenario, staging, text, duration_s=sample_scenario.duration_s)
    ours = res.summary.endpoints["post_events"]
    assert ours.requests == len(raw) == failed["passes"] + failed["fails"]
    assert ours.errors.total == failed["passes"]  # passes of http_req_failed = failed requests
    hdr = 1e-3  # 3 significant digits
    for q, ours_ms in (
        (50, ours.latency_ms.p50),
        (95, ours.latency_ms.p95),
        (99, ours.latency_ms.p99),
    ):
        lo, hi = _k6_rank_bounds(raw, q)
        k6_ms = k6["med" if q == 50 else f"p({q})"]
        assert lo * (1 - hdr) <= ours_ms <= hi * (1 + hdr), q
        assert abs(ours_ms - k6_ms) <= (hi - lo) + hdr * k6_ms, q
    assert ours.latency_ms.max == pytest.approx(k6["max"], rel=hdr)
    # k6's threshold verdicts and ours agree
    k6_verdicts = {e: not f for e, f in k6["thresholds"].items()}
    ours_verdicts = {
        v.expression: v.passed for v in res.summary.thresholds if v.expression in k6_verdicts
    }
    assert ours_verdicts == k6_verdicts


def test_inbox_latency_is_also_kept_per_cursor_page(sample_scenario, staging):
    b = make_builder(sample_scenario, staging)
    agg = K6CsvAggregator(b, ["post_events", "get_inbox"])
    rows = [
        f"http_req_duration,{T0 + 100},{ms},,get_inbox,200,page={page}&phase=load,\n"
        for page, ms in ((1, 5.0), (1, 6.0), (5, 20.0), (10, 40.0))
    ]
    agg.feed(HEADER + start() + "".join(rows))
    agg.finish()
    assert sorted(agg.inbox_pages) == [1, 5, 10]
    assert agg.inbox_pages[10].max_ms() == pytest.approx(40.0, rel=1e-3)
    note = agg.page_note()
    assert note is not None and "page 5: p95 20.0 ms" in note


def _long_scenario():
    from scaling_lab.scenario import Scenario

    stages = [{"duration": "300s", "target": 5}]
    return Scenario.model_validate({"name": "long", "traffic": {"start_rate": 5, "stages": stages}})


def _long_stream(seconds: int, per_s: int) -> str:
    rows = [HEADER, start()]
    for t in range(seconds):
        for i in range(per_s):
            ms = 2.0 + (t * 7 + i * 13) % 50
            rows.append(dur(T0 + t * 1000 + i * (1000 // per_s) + ms, ms))
    # a late answer for second 3 (a slow request that finished long after)
    rows.append(dur(T0 + 3000 + 20_000, 20_000.0 - 1))
    return "".join(rows)


def test_sealed_seconds_give_the_same_result(staging):
    sc = _long_scenario()
    text = _long_stream(300, 5)
    sealed_agg, sealed = fold(sc, staging, text, chunk=4096, seal_lag_s=10)
    _, plain = fold(sc, staging, text, chunk=4096, seal_lag_s=1e9)
    assert sealed_agg.builder._sealed_until > 250  # sealing did happen
    assert sealed.series == plain.series
    assert sealed.summary == plain.summary


def test_memory_stays_flat_on_long_runs(staging):
    """Per-second HDR histograms are ~185 KB each; sealed seconds keep a few hundred bytes."""
    import gc
    import tracemalloc

    sc = _long_scenario()
    text = _long_stream(300, 5)

    def retained(seal_lag_s: float) -> int:
        tracemalloc.start()
        b = make_builder(sc, staging)
        agg = K6CsvAggregator(b, ["post_events"], seal_lag_s=seal_lag_s)
        for i in range(0, len(text), 4096):
            agg.feed(text[i : i + 4096])
        agg.finish()
        gc.collect()  # hdrh's encoder leaves reference cycles for the collector
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del b, agg
        return size

    sealed, plain = retained(10), retained(1e9)
    assert plain > 300 * 150_000  # one full histogram per second
    assert sealed < plain / 5
