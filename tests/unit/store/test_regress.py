"""Regression detection: flags a real 10 % slowdown, ignores same-config reruns on a noisy
machine, and only with statistical support."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest

from scaling_lab.errors import InputError
from scaling_lab.result import ResultKind, load_result
from scaling_lab.store import Verdict, detect_regressions, parse_threshold_pct
from scaling_lab.store.junit import junit_xml
from scaling_lab.store.regress import block_length, run_noise_from_history
from tests.unit.store.synth_runs import QUIET, Noise, steady_scenario, synth_run

FIXTURES = Path(__file__).parent / "fixtures"


def _verdict(report, endpoint: str, metric: str):  # type: ignore[no-untyped-def]
    return next(v for v in report.verdicts if v.endpoint == endpoint and v.metric == metric)


# -- synthetic runs with this machine's noise ------------------------------------------------
SEEDS = range(1, 11)


def test_flags_a_real_10_percent_slowdown() -> None:
    """Power on single runs: with run-to-run noise, a true +10 % can show as +8 %; the gate
    flags at least 8 of 10 such pairs and never calls one of them ok."""
    flagged = 0
    for seed in SEEDS:
        report = detect_regressions(synth_run(seed * 100), synth_run(seed * 100 + 1, slowdown=1.10))
        p50 = _verdict(report, "post_events", "p50")
        assert 0.05 < (p50.degradation or 0) < 0.16
        assert p50.verdict in (Verdict.REGRESSION, Verdict.INCONCLUSIVE)
        if report.regressed:
            assert p50.verdict is Verdict.REGRESSION
            assert p50.ci_low is not None and p50.ci_low > 0.05
            flagged += 1
    assert flagged >= 8


@pytest.mark.parametrize("seed", SEEDS)
def test_ignores_same_config_reruns(seed: int) -> None:
    base = synth_run(seed * 100)
    rerun = synth_run(seed * 100 + 1)
    report = detect_regressions(base, rerun)
    assert not report.regressed, [v for v in report.verdicts if v.verdict is Verdict.REGRESSION]


def test_a_5_percent_change_is_not_flagged_at_a_5_percent_threshold() -> None:
    flagged = sum(
        detect_regressions(synth_run(s), synth_run(s + 1, slowdown=1.05)).regressed
        for s in range(500, 510, 2)
    )
    assert flagged == 0


def test_contention_bursts_alone_do_not_alert() -> None:
    heavy = Noise(burst_prob=0.08, burst_len_s=5, burst_share=0.3, burst_factor=4.0)
    for s in range(300, 306, 2):
        report = detect_regressions(synth_run(s), synth_run(s + 1, noise=heavy))
        assert not report.regressed


def test_unsupported_degradation_is_inconclusive_not_regression() -> None:
    sc = steady_scenario(rate=5, duration="20s")  # ~100 requests: wide intervals
    report = detect_regressions(
        synth_run(1, scenario=sc, noise=QUIET),
        synth_run(2, scenario=sc, noise=QUIET, slowdown=1.12),
    )
    p99 = _verdict(report, "post_events", "p99")
    assert p99.verdict in (Verdict.INCONCLUSIVE, Verdict.OK)
    assert p99.ci_low is not None and p99.ci_low <= p99.threshold


def test_error_rate_and_throughput_regressions() -> None:
    base = synth_run(7, noise=QUIET)
    bad = synth_run(8, noise=QUIET, error_rate=0.2)
    report = detect_regressions(base, bad)
    assert _verdict(report, "post_events", "error_rate").verdict is Verdict.REGRESSION
    assert _verdict(report, "post_events", "throughput").verdict is Verdict.REGRESSION
    # a handful of errors is below the 0.05 pp floor
    few = synth_run(9, noise=QUIET, error_rate=0.0002)
    assert (
        _verdict(detect_regressions(base, few), "post_events", "error_rate").verdict
        is not Verdict.REGRESSION
    )


def test_improvement_is_reported_as_such() -> None:
    report = detect_regressions(synth_run(11), synth_run(12, slowdown=0.8))
    assert _verdict(report, "post_events", "p50").verdict is Verdict.IMPROVED
    assert not report.regressed


def test_per_endpoint_and_all() -> None:
    sc = steady_scenario(rate=100, mix={"post_events": 0.8, "get_inbox": 0.2})
    base = synth_run(21, scenario=sc)
    slow_inbox = synth_run(22, scenario=sc, median_ms={"post_events": 18.0, "get_inbox": 15.0})
    report = detect_regressions(base, slow_inbox)
    assert {v.endpoint for v in report.verdicts} == {"post_events", "get_inbox", "all"}
    assert _verdict(report, "get_inbox", "p50").verdict is Verdict.REGRESSION
    assert _verdict(report, "post_events", "p50").verdict is not Verdict.REGRESSION


def test_runs_without_per_second_histograms_are_not_observed_for_latency() -> None:
    base = synth_run(31, noise=QUIET)
    stripped = base.model_copy(deep=True)
    for s in stripped.series:
        for sec in s.endpoints.values():
            sec.hdr = None
    report = detect_regressions(stripped, synth_run(32, noise=QUIET))
    assert _verdict(report, "post_events", "p95").verdict is Verdict.NOT_OBSERVED
    assert _verdict(report, "post_events", "throughput").verdict is not Verdict.NOT_OBSERVED


def test_verdicts_are_reproducible() -> None:
    a, b = synth_run(41), synth_run(42, slowdown=1.07)
    first = detect_regressions(a, b)
    second = detect_regressions(a, b)
    assert [(v.ci_low, v.ci_high) for v in first.verdicts] == [
        (v.ci_low, v.ci_high) for v in second.verdicts
    ]


def test_block_length_grows_with_autocorrelation() -> None:
    rng = np.random.default_rng(0)
    white = rng.normal(size=300)
    ar = np.zeros(300)
    for i in range(1, 300):
        ar[i] = 0.9 * ar[i - 1] + rng.normal()
    assert block_length(white) <= 3
    assert block_length(ar) > 2 * block_length(white)


def test_run_noise_from_history_needs_three_runs_and_is_robust() -> None:
    runs = [synth_run(s, noise=QUIET) for s in range(50, 53)]
    assert run_noise_from_history(runs[:2]) is None
    noise = run_noise_from_history(runs)
    assert noise is not None and noise["p50"] < 0.02
    outlier = synth_run(60, noise=QUIET, slowdown=2.0)
    robust = run_noise_from_history([*runs, outlier, synth_run(61, noise=QUIET)])
    assert robust is not None and robust["p50"] < 0.05


def test_threshold_parsing() -> None:
    assert parse_threshold_pct("5%") == pytest.approx(0.05)
    assert parse_threshold_pct("10") == pytest.approx(0.10)
    assert parse_threshold_pct(0.02) == pytest.approx(0.02)
    for bad in ("abc", "0%", "150%"):
        with pytest.raises(InputError):
            parse_threshold_pct(bad)


def test_junit_has_one_failure_per_regression() -> None:
    report = detect_regressions(synth_run(71), synth_run(72, slowdown=1.25))
    xml = junit_xml(report)
    assert f'failures="{len(report.regressions)}"' in xml
    assert xml.count("<failure") == len(report.regressions) > 0
    assert 'name="p50"' in xml


# -- predicted runs: the model with different seeds -------------------------------------------
def _slowed(system, k: float):  # type: ignore[no-untyped-def]
    from scaling_lab.system.distributions import LogNormal

    lam = system.lambda_
    times = {
        ep: LogNormal(median_ms=d.median_ms * k, sigma=d.sigma)
        for ep, d in lam.service_time_ms.items()
    }
    return system.model_copy(update={"lambda_": lam.model_copy(update={"service_time_ms": times})})


def test_predicted_runs_seeds_and_slowdown() -> None:
    from scaling_lab.model import predict
    from scaling_lab.scenario import load_scenario
    from scaling_lab.system import load_system

    sc = load_scenario("smoke")
    system = load_system(sc.system)
    base = predict(sc, system, seed=1)
    assert base.kind is ResultKind.PREDICTED
    for seed in (2, 3):
        assert not detect_regressions(base, predict(sc, system, seed=seed)).regressed
    slow = detect_regressions(base, predict(sc, _slowed(system, 1.10), seed=2))
    assert slow.regressed
    assert _verdict(slow, "post_events", "p95").verdict is Verdict.REGRESSION


# -- real reruns measured on this machine ----------------------------------------------------
def _fixture_runs(name: str) -> dict[str, object]:
    return {
        Path(f).stem: load_result(f)
        for f in sorted(glob.glob(str(FIXTURES / f"loopback-{name}-*.json")))
    }


def test_real_reruns_on_this_machine_are_not_flagged() -> None:
    """Loopback reruns recorded while other jobs shared the two cores (make_loopback_runs.py).

    rerun-4 is left out of the pairs: the machine was overloaded during it (1-second connection
    stalls: p99 over 1 s, median +15 %); that a run made in that state is flagged is asserted
    in the next test, as the tool's documented behaviour."""
    reruns = _fixture_runs("rerun")
    assert len(reruns) == 6
    quiet = {k: v for k, v in reruns.items() if k != "loopback-rerun-4"}
    for a in quiet:
        for b in quiet:
            if a != b:
                report = detect_regressions(quiet[a], quiet[b])  # type: ignore[arg-type]
                assert not report.regressed, (a, b, [str(v) for v in report.regressions])


def test_real_overloaded_rerun_is_flagged_with_a_contention_note() -> None:
    reruns = _fixture_runs("rerun")
    report = detect_regressions(reruns["loopback-rerun-3"], reruns["loopback-rerun-4"])  # type: ignore[arg-type]
    assert report.regressed
    assert any("competing for the CPU" in n for n in report.notes)


def test_real_10_percent_slower_handler_is_flagged() -> None:
    reruns = _fixture_runs("rerun")
    slow = _fixture_runs("slow10")
    assert len(slow) == 3
    flagged = [
        detect_regressions(reruns[b], slow[s]).regressed  # type: ignore[arg-type]
        for b in ("loopback-rerun-0", "loopback-rerun-3", "loopback-rerun-5")
        for s in slow
    ]
    assert all(flagged)


# -- real `run` results: k6 against the local stack (embedded backend) -------------------------
def test_real_local_stack_reruns_with_history_noise() -> None:
    """Three same-config `scaling-lab run smoke --target local` runs and one with 1 ms added to
    every DynamoDB call (a `faults: added_latency` copy of smoke), made back to back on the
    shared 2-core machine. Their medians drifted 10.0 - 11.9 ms between identical runs, so with
    the run-to-run noise `regress` estimates from the three reruns no rerun pair is flagged,
    and the slowed run is reported as degraded (never ok)."""
    reruns = _fixture_runs_local("rerun")
    assert len(reruns) == 3
    noise = run_noise_from_history(list(reruns.values()))
    assert noise is not None
    for a in reruns:
        for b in reruns:
            if a != b:
                assert not detect_regressions(reruns[a], reruns[b], run_noise=noise).regressed
    slow = load_result(FIXTURES / "local-smoke-ddb-plus-1ms.json")
    for base in reruns.values():
        p50 = _verdict(detect_regressions(base, slow, run_noise=noise), "post_events", "p50")
        assert (p50.degradation or 0) > 0.09
        assert p50.verdict in (Verdict.REGRESSION, Verdict.INCONCLUSIVE)


def _fixture_runs_local(name: str):  # type: ignore[no-untyped-def]
    return {
        Path(f).stem: load_result(f)
        for f in sorted(glob.glob(str(FIXTURES / f"local-smoke-{name}-*.json")))
    }


# -- tails on real local reruns (the tail fixtures: log-normal backend wait, 200 req/s x 60 s) -
def _latencies_times(result, factor: float):  # type: ignore[no-untyped-def]
    """The same real run with every latency ``factor`` times longer (an exact tail change on
    top of the run's own noise)."""
    from scaling_lab.result.histogram import LatencyHistogram

    series = []
    for s in result.series:
        eps = {}
        for name, sec in s.endpoints.items():
            if sec.hdr is None:
                eps[name] = sec
                continue
            src = LatencyHistogram.decode(sec.hdr)._h
            h = LatencyHistogram()
            for item in src.get_recorded_iterator():
                h.record(item.value_iterated_to / 1000.0 * factor, item.count_at_value_iterated_to)
            eps[name] = sec.model_copy()
            eps[name].hdr = h.encode()
        series.append(s.model_copy(update={"endpoints": eps}))
    return result.model_copy(update={"series": series, "run_id": result.run_id + "-slowed"})


def test_tail_changes_on_real_reruns_and_what_regress_can_detect() -> None:
    """Every ordered pair of four real reruns (200 req/s x 120 s, tail fixtures). Same
    configuration, with the run-to-run noise of the history (the four reruns): no pair is
    flagged. The candidate's latencies 10 % longer: p95 is never called ok and is flagged in
    at least half the pairs; each verdict says what it could detect (8-11 % here, the edge
    of a 10 % change: docs/validation.md)."""
    reruns = list(_fixture_runs("tail-rerun").values())[:4]
    noise = run_noise_from_history(reruns)  # type: ignore[arg-type]
    assert noise is not None
    pairs = [(a, b) for a in reruns for b in reruns if a is not b]
    flagged_same = sum(
        detect_regressions(a, b, run_noise=noise).regressed  # type: ignore[arg-type]
        for a, b in pairs
    )
    assert flagged_same == 0
    flagged_p95 = 0
    for a, b in pairs:
        slow = detect_regressions(a, _latencies_times(b, 1.10))  # type: ignore[arg-type]
        p95 = _verdict(slow, "post_events", "p95")
        assert 0.03 < (p95.degradation or 0) < 0.16  # 10 % on top of the pair's own drift
        assert p95.detectable is not None and 0.05 < p95.detectable < 0.12
        assert p95.verdict in (Verdict.REGRESSION, Verdict.INCONCLUSIVE) or (
            p95.degradation is not None and p95.degradation < 0.08
        )
        flagged_p95 += p95.verdict is Verdict.REGRESSION
    assert flagged_p95 >= 6, flagged_p95


def test_three_reruns_a_side_flag_a_real_ten_percent_slowdown_and_not_a_rerun() -> None:
    """Eight real reruns and four with the backend wait 10 % longer (200 req/s x 120 s, recorded
    interleaved, rerun-4..7 with slow10-0..3). One rerun (rerun-6) ran on a disturbed machine:
    p50 +16 %, p95 +15 %, as much as the real slowdown, so one run a side cannot tell them
    apart. Three a side, combined by their median: no same-config split is flagged at p95 or
    p99 (the disturbed run included), and the real slowdown is flagged at p95 in every pair
    (rates over more pairs: docs/validation.md)."""
    reruns = list(_fixture_runs("tail-rerun").values())
    slow = list(_fixture_runs("tail-slow10").values())
    assert len(reruns) == 8 and len(slow) == 4
    noise = run_noise_from_history(reruns)  # type: ignore[arg-type]
    assert noise is not None
    triples = [(0, 1, 2), (3, 4, 5), (5, 6, 7), (1, 6, 7)]
    for a, b in [((0, 1, 2), (3, 4, 5)), ((5, 6, 7), (0, 1, 2)), ((1, 6, 7), (2, 3, 4))]:
        report = detect_regressions(
            [reruns[i] for i in a], [reruns[i] for i in b], run_noise=noise, reps=500
        )
        assert report.candidate_runs == 3
        for metric in ("p95", "p99"):
            assert _verdict(report, "post_events", metric).verdict is not Verdict.REGRESSION
    for a in triples:
        for b in [(0, 1, 2), (1, 2, 3)]:
            report = detect_regressions(
                [reruns[i] for i in a], [slow[j] for j in b], run_noise=noise, reps=500
            )
            p95 = _verdict(report, "post_events", "p95")
            assert p95.verdict is Verdict.REGRESSION, (a, b, p95)
            assert p95.detectable is not None and p95.detectable < 0.09


def test_a_slower_backend_on_real_runs_is_flagged_at_the_tail() -> None:
    """Real runs whose backend wait is 20 % longer (p95 measured +15-25 %), against the four
    reruns recorded with them (rerun-0..3)."""
    reruns = list(_fixture_runs("tail-rerun").values())[:4]
    slow = _fixture_runs("tail-slow20")
    assert len(slow) == 4
    for a in reruns:
        for b in slow.values():
            report = detect_regressions(a, b)  # type: ignore[arg-type]
            assert _verdict(report, "post_events", "p95").verdict is Verdict.REGRESSION
            assert _verdict(report, "post_events", "p99").verdict is not Verdict.OK
