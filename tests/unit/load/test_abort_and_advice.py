"""Abort conditions judged on the run so far, and the advice for dropped iterations."""

from __future__ import annotations

from scaling_lab.load.abort import AbortWatch
from scaling_lab.load.aggregate import LiveStats
from scaling_lab.load.runner import dropped_advice
from scaling_lab.result import ErrorClass
from scaling_lab.scenario.models import AbortConfig


def stats(ok: int, failed: int, latency_ms: float = 10.0) -> LiveStats:
    s = LiveStats()
    for i in range(ok + failed):
        s.add(i // 10, latency_ms, ErrorClass.SERVER if i < failed else None)
    return s


def test_abort_waits_for_the_delay_then_trips_on_the_first_failing_condition():
    cfg = AbortConfig.model_validate({"conditions": ["p(95)<50", "rate<0.2"], "delay": "5s"})
    watch = AbortWatch(cfg, stats(ok=70, failed=30))
    assert watch.check(4.9) is None  # k6's delayAbortEval
    tripped = watch.check(5.0)
    assert tripped is not None and tripped.condition == "rate<0.2"
    assert tripped.observed == 0.3 and tripped.at_s == 5.0
    assert "partial" in tripped.note()


def test_abort_holds_while_conditions_hold_and_without_data():
    cfg = AbortConfig.model_validate({"conditions": ["rate<0.2", "p(99)<100"]})
    assert AbortWatch(cfg, stats(ok=90, failed=10)).check(60) is None
    assert AbortWatch(cfg, LiveStats()).check(60) is None  # nothing measured: no verdict
    assert AbortWatch(None, stats(ok=0, failed=10)).check(60) is None


def test_abort_on_latency_uses_every_response_so_far():
    cfg = AbortConfig.model_validate({"conditions": ["p(95)<100"], "delay": "0s"})
    tripped = AbortWatch(cfg, stats(ok=50, failed=0, latency_ms=250.0)).check(1)
    assert tripped is not None and 249 <= tripped.observed <= 251


def test_dropped_iterations_advice_names_the_cause():
    vus = dropped_advice(12, {"post_events": 40})
    assert "k6 ran out of VUs (post_events at 40 VUs" in vus and "--max-vus" in vus
    cpu = dropped_advice(12, {})
    assert "VUs to spare" in cpu and "--runners" in cpu and "--max-vus" not in cpu
