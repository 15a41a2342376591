"""Recovery time after a spike, from a per-second series (pure).

Definition (docs/results.md): every second from the start of the spike stage is *good* when the
recovery condition's thresholds hold for that second's latency (on ``recovery.endpoint``) and its
error rate is at most ``max_error_rate``; seconds without responses are neutral. The recovery time
is the end of the last bad second, counted from the spike start, provided at least ``hold``
seconds of data follow it; 0 when no second was bad; None (never recovered) when the run ends
first.
"""

from __future__ import annotations

from collections.abc import Sequence

from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import EndpointSecond, RecoveryVerdict, SecondSample
from scaling_lab.scenario.models import Scenario
from scaling_lab.scenario.thresholds import Threshold, parse_threshold

__all__ = ["compute_recovery", "second_is_good", "stat_from_percentiles"]


def stat_from_percentiles(sec: EndpointSecond, aggregation: str, q: float | None) -> float | None:
    """A latency aggregate of one second, from its HDR histogram or its stored percentiles."""
    h = sec.histogram()
    if h is not None:
        return h.aggregate(aggregation, q)
    p = sec.latency_ms
    if aggregation == "max":
        return p.max
    if aggregation == "med" or (aggregation == "p" and q == 50):
        return p.p50
    if aggregation == "p" and q == 95:
        return p.p95
    if aggregation == "p" and q == 99:
        return p.p99
    return None


def _endpoint_second(sample: SecondSample, endpoint: str) -> EndpointSecond | None:
    if endpoint != "all":
        return sample.endpoints.get(endpoint)
    if len(sample.endpoints) == 1:
        return next(iter(sample.endpoints.values()))
    if sample.completed is None:
        return None
    merged: LatencyHistogram | None = LatencyHistogram()
    for sec in sample.endpoints.values():
        h = sec.histogram()
        if h is None:
            merged = None
            break
        assert merged is not None
        merged.merge(h)
    return EndpointSecond.of(
        sample.completed,
        sample.errors or EndpointSecond().errors,
        sample.latency_ms,
        merged if merged is not None and merged.count else None,
    )


def second_is_good(
    sample: SecondSample, endpoint: str, conditions: Sequence[Threshold], max_error_rate: float
) -> bool | None:
    """True/False for a second with responses; None (neutral) for one without."""
    sec = _endpoint_second(sample, endpoint)
    if sec is None or sec.requests == 0:
        return None
    if sec.errors.total / sec.requests > max_error_rate:
        return False
    for cond in conditions:
        if not cond.is_latency:
            continue
        observed = stat_from_percentiles(sec, cond.aggregation, cond.percentile)
        if observed is not None and not cond.holds(observed):
            return False
    return True


def compute_recovery(scenario: Scenario, series: Sequence[SecondSample]) -> RecoveryVerdict | None:
    slo = scenario.recovery
    if slo is None:
        return None
    spike_start = scenario.traffic.stage_start_s(slo.spike)
    conds = [parse_threshold(c) for c in slo.condition]
    first_bad: int | None = None
    last_bad: int | None = None
    last_data: int | None = None
    for sample in series:
        if sample.t_s < spike_start:
            continue
        good = second_is_good(sample, slo.endpoint, conds, slo.max_error_rate)
        if good is None:
            continue
        last_data = sample.t_s
        if not good:
            last_bad = sample.t_s
            if first_bad is None:
                first_bad = sample.t_s
    if last_bad is None:
        recovery: float | None = 0.0
    elif last_data is not None and last_data - last_bad >= slo.hold_s:
        recovery = last_bad + 1 - spike_start
    else:
        recovery = None
    return RecoveryVerdict(
        spike_start_s=spike_start,
        recovery_s=recovery,
        deadline_s=slo.deadline_s,
        # Strictly before the deadline: with a spike exactly as long as the deadline, "recovering"
        # at the deadline only means the load went away.
        recovered=recovery is not None and recovery < slo.deadline_s,
        condition=list(slo.condition),
        first_violation_s=None if first_bad is None else first_bad - spike_start,
        spike_duration_s=next(
            (st.duration_s for st in scenario.traffic.stages if st.name == slo.spike), None
        ),
    )
