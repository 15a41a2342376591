"""ResultBuilder: fold per-request outcomes and per-second gauges into a RunResult.

Both the model and the k6 aggregation feed this one builder, so every path writes the same
schema and computes its summary, thresholds and recovery the same way. Memory is bounded by
run length in seconds (one histogram per endpoint per second), not by request count.
"""

from __future__ import annotations

import gc
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from scaling_lab.aws.metrics import COUNTERS, GAUGES_LAST, GAUGES_MAX, INTEGER_FIGURES
from scaling_lab.aws.throttles import ThrottleCause
from scaling_lab.result.histogram import BUCKETS, LatencyHistogram, bucket_of, to_us
from scaling_lab.result.models import (
    EndpointSecond,
    EndpointSummary,
    ErrorClass,
    ErrorCounts,
    Percentiles,
    Provenance,
    ResultKind,
    RunResult,
    SecondSample,
    Summary,
    ThresholdVerdict,
)
from scaling_lab.result.recovery import compute_recovery
from scaling_lab.result.series import max_present, sum_present
from scaling_lab.result.windows import judge_windows
from scaling_lab.scenario.models import Scenario
from scaling_lab.scenario.thresholds import parse_threshold
from scaling_lab.system.models import SystemConfig

__all__ = [
    "ResultBuilder",
    "classify_status",
    "percentiles",
]


def classify_status(status: int) -> ErrorClass | None:
    """HTTP status -> error class; None for success. Status 0 means no response (timeout)."""
    if status == 0:
        return ErrorClass.TIMEOUT
    if status == 429:
        return ErrorClass.THROTTLED
    if status >= 500:
        return ErrorClass.SERVER
    if status >= 400:
        return ErrorClass.CLIENT
    return None


def percentiles(h: LatencyHistogram) -> Percentiles:
    if h.count == 0:
        return Percentiles()
    p50, p95, p99 = h.percentiles_ms((50, 95, 99))
    return Percentiles(p50=p50, p95=p95, p99=p99, max=h.max_ms())


_NO_PERCENTILES = Percentiles()


def _errors(
    counted: dict[ErrorClass, int] | None, classes: list[tuple[ErrorClass, str]]
) -> ErrorCounts:
    """ErrorCounts of one endpoint's second (counts are ints already: no validation)."""
    if not counted:
        return ErrorCounts()
    return ErrorCounts(**{v: int(counted.get(c, 0)) for c, v in classes})


@dataclass
class _Second:
    hist: dict[str, LatencyHistogram] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, dict[ErrorClass, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    offered: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)
    sealed: dict[str, str] = field(default_factory=dict)  # encoded histograms (seal_before)


class ResultBuilder:
    """Collect a run second by second, then ``build()`` the RunResult."""

    def __init__(
        self,
        scenario: Scenario,
        system: SystemConfig,
        kind: ResultKind,
        provenance: Provenance,
        *,
        observable: set[str] | None = None,
        keep_second_histograms: bool = True,
    ) -> None:
        """``observable`` names the per-second figures this path can see; the rest stay null."""
        self.scenario = scenario
        self.system = system
        self.kind = kind
        self.provenance = provenance
        self.observable = set(observable or ())
        self.keep_second_histograms = keep_second_histograms
        self._seconds: dict[int, _Second] = defaultdict(_Second)
        self._offered_seen = False
        self._sealed_until = 0
        self._reopened: set[int] = set()
        self.throttles_by_cause: dict[ThrottleCause, int] | None = None
        self.notes: list[str] = []
        self._series_figures: dict[str, list[float]] = {}

    # -- requests ---------------------------------------------------------------------------
    def record(
        self,
        t_s: float,
        endpoint: str,
        latency_ms: float | None,
        error: ErrorClass | None = None,
        count: int = 1,
    ) -> None:
        """``count`` requests that started at ``t_s`` finished with this latency and outcome.

        ``latency_ms`` is None for requests that got no response (timeouts); they count as
        requests and errors but not in the latency histograms.
        """
        sec = self._count(t_s, endpoint, error, count)
        if latency_ms is not None:
            self._hist(sec, t_s, endpoint).record(latency_ms, count)

    def record_many(
        self,
        t_s: float,
        endpoint: str,
        latency_ms: np.ndarray,
        counts: np.ndarray,
        error: ErrorClass | None = None,
    ) -> None:
        """``counts[i]`` requests that started at ``t_s`` finished in ``latency_ms[i]``."""
        n = int(np.sum(counts))
        if not n:
            return
        sec = self._count(t_s, endpoint, error, n)
        self._hist(sec, t_s, endpoint).record_many(latency_ms, counts)

    def record_columns(
        self,
        secs: np.ndarray,
        endpoint: str,
        latency_ms: np.ndarray,
        counts: np.ndarray,
        error: ErrorClass | None = None,
    ) -> None:
        """``counts[i]`` requests that started in second ``secs[i]`` finished in
        ``latency_ms[i]``: many seconds at once (the model's whole run), filed with one sort
        instead of one histogram call per second."""
        if not latency_ms.size:
            return
        us = to_us(latency_ms)
        key = np.asarray(secs, dtype=np.int64) * BUCKETS + bucket_of(us)
        order = np.argsort(key, kind="stable")
        key, us, cnt = key[order], us[order], np.asarray(counts, dtype=np.int64)[order]
        new_bucket = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ukey = key[new_bucket]
        ucnt = np.add.reduceat(cnt, new_bucket)
        usec, ubucket = ukey // BUCKETS, ukey % BUCKETS
        # each second's run of buckets (unique keys) and of values (sorted keys)
        at_b = np.flatnonzero(np.r_[True, usec[1:] != usec[:-1]])
        raw_sec = key // BUCKETS
        at_v = np.flatnonzero(np.r_[True, raw_sec[1:] != raw_sec[:-1]])
        lo = np.minimum.reduceat(us, at_v).tolist()
        hi = np.maximum.reduceat(us, at_v).tolist()
        n_sec = np.add.reduceat(cnt, at_v).tolist()
        ends = [*at_b[1:].tolist(), ukey.size]
        with _collector_paused():
            for j, (t, a) in enumerate(zip(usec[at_b].tolist(), at_b.tolist(), strict=True)):
                h = LatencyHistogram.from_bins(
                    ubucket[a : ends[j]], ucnt[a : ends[j]], lo[j], hi[j]
                )
                sec = self._count(t, endpoint, error, n_sec[j])
                if endpoint in sec.hist or endpoint in sec.sealed:
                    self._hist(sec, t, endpoint).merge(h)
                else:
                    sec.hist[endpoint] = h

    def _count(self, t_s: float, endpoint: str, error: ErrorClass | None, n: int) -> _Second:
        sec = self._seconds[int(t_s)]
        sec.requests[endpoint] += n
        if error is not None:
            sec.errors[endpoint][error] += n
        return sec

    def _hist(self, sec: _Second, t_s: float, endpoint: str) -> LatencyHistogram:
        """The second's histogram of ``endpoint``; a late request reopens a sealed second."""
        h = sec.hist.get(endpoint)
        if h is None:
            packed = sec.sealed.pop(endpoint, None)
            if packed is not None:
                self._reopened.add(int(t_s))
            h = sec.hist[endpoint] = (
                LatencyHistogram.decode(packed) if packed is not None else LatencyHistogram()
            )
        return h

    def seal_before(self, t_s: float) -> None:
        """Keep the histograms of seconds before ``t_s`` encoded (a few KB instead of ~185 KB
        each) so memory stays flat on long runs; a later ``record`` there still works."""
        end = int(t_s)
        todo = [*range(self._sealed_until, end), *(t for t in self._reopened if t < end)]
        for t in todo:
            sec = self._seconds.get(t)
            if sec is not None and sec.hist:
                for ep, h in sec.hist.items():
                    sec.sealed[ep] = h.encode()
                    h.release()
                sec.hist.clear()
        self._reopened = {t for t in self._reopened if t >= end}
        self._sealed_until = max(self._sealed_until, end)

    def offered(self, t_s: float, n: float = 1.0) -> None:
        self._offered_seen = True
        self._seconds[int(t_s)].offered += n

    def offered_series(self, values: Sequence[float]) -> None:
        """Offered load of seconds 0, 1, ... at once (adds to what ``offered`` recorded)."""
        self._offered_seen = True
        for t, v in enumerate(values):
            if v:
                self._seconds[t].offered += v

    # -- per-second figures -----------------------------------------------------------------
    def figure_series(self, name: str, values: Sequence[float]) -> None:
        """A whole per-second figure at once: ``values[t]`` for second ``t`` (as ``figure``
        would take them one by one; a second past the run's seconds stays unset)."""
        if name not in GAUGES_MAX and name not in GAUGES_LAST and name not in COUNTERS:
            raise KeyError(f"unknown per-second figure {name!r}")
        self.observable.add(name)
        self._series_figures[name] = list(values)

    def figure(self, t_s: float, name: str, value: float) -> None:
        """Set or add to a per-second figure: max for gauges, last for levels, sum for counters."""
        figs = self._seconds[int(t_s)].figures
        self.observable.add(name)
        if name in GAUGES_MAX:
            figs[name] = max(figs.get(name, value), value)
        elif name in GAUGES_LAST:
            figs[name] = value
        elif name in COUNTERS:
            figs[name] = figs.get(name, 0.0) + value
        else:
            raise KeyError(f"unknown per-second figure {name!r}")

    # -- build ------------------------------------------------------------------------------
    def samples(self, t_from: int, t_to: int) -> list[SecondSample]:
        """Seconds ``[t_from, t_to)`` as they stand now, for judging a run while it goes
        (figures set per second only: levels are not carried in from earlier seconds)."""
        return self._samples(range(max(0, t_from), t_to), None, None, snapshot=True)

    def _series(
        self,
    ) -> tuple[list[SecondSample], dict[str, LatencyHistogram], dict[str, ErrorCounts]]:
        last = max(self._seconds, default=-1)
        end = max(last, int(self.scenario.duration_s) - 1)
        run_hist: dict[str, LatencyHistogram] = defaultdict(LatencyHistogram.dense)
        run_err: dict[str, ErrorCounts] = defaultdict(ErrorCounts)
        series = self._samples(range(0, end + 1), run_hist, run_err)
        return series, dict(run_hist), dict(run_err)

    def _samples(
        self,
        seconds: range,
        run_hist: dict[str, LatencyHistogram] | None,
        run_err: dict[str, ErrorCounts] | None,
        *,
        snapshot: bool = False,
    ) -> list[SecondSample]:
        """``snapshot``: the run goes on, so a second keeps a copy of a histogram that is
        still being filled (a built result owns its histograms)."""
        series: list[SecondSample] = []
        classes = [(c, c.value) for c in ErrorClass]
        keep = self.keep_second_histograms
        offered_seen = self._offered_seen
        pending: dict[str, list[LatencyHistogram]] = {}
        for t, figs in zip(seconds, self._figure_rows(seconds), strict=True):
            sec = self._seconds.get(t)
            if sec is None:  # nothing recorded in this second: figures only
                series.append(
                    SecondSample(
                        t_s=t,
                        offered=0.0 if offered_seen else None,
                        completed=0,
                        errors=ErrorCounts(),
                        latency_ms=Percentiles(),
                        **figs,
                    )
                )
                continue
            endpoints: dict[str, EndpointSecond] = {}
            hists: list[LatencyHistogram] = []
            only = _NO_PERCENTILES
            total_err: ErrorCounts | None = None
            eps = set(sec.requests) | set(sec.hist) | set(sec.sealed)
            for ep in sorted(eps) if len(eps) > 1 else eps:
                h = sec.hist.get(ep)
                if h is None:
                    packed = sec.sealed.get(ep)
                    h = LatencyHistogram.decode(packed) if packed else None
                if h is not None and not h.count:
                    h = None
                e = sec.errors.get(ep)
                errs = _errors(e, classes)
                pct = percentiles(h) if h is not None else Percentiles()
                endpoints[ep] = EndpointSecond.of(
                    int(sec.requests.get(ep, 0)),
                    errs,
                    pct,
                    None if not keep or h is None else h.copy() if snapshot and h.sparse else h,
                )
                if run_hist is not None:
                    run_ep = run_hist[ep]  # every endpoint with requests, latencies or not
                    if h is not None:
                        if h.sparse:  # added in one go below
                            pending.setdefault(ep, []).append(h)
                        else:
                            run_ep.merge(h)
                if h is not None:
                    hists.append(h)
                    only = pct
                if run_err is not None:
                    run_err[ep] = run_err[ep].add(errs)
                total_err = errs if total_err is None else total_err.add(errs)
            if len(hists) == 1:
                total_p = only  # one endpoint's latencies are the second's
            elif hists:
                merged = LatencyHistogram()
                for h in hists:
                    merged.merge(h)
                total_p = percentiles(merged)
            else:
                total_p = Percentiles()
            series.append(
                SecondSample(
                    t_s=t,
                    offered=sec.offered if offered_seen else None,
                    completed=sum(sec.requests.values()),
                    errors=total_err if total_err is not None else ErrorCounts(),
                    latency_ms=total_p,
                    endpoints=endpoints,
                    **figs,
                )
            )
        if run_hist is not None:
            for ep, hs in pending.items():
                run_hist[ep].merge(LatencyHistogram.combined(hs))
        return series

    def _figure_rows(self, seconds: range) -> list[dict[str, float | int | None]]:
        """Every second's figures, built a figure at a time: a whole series' value, else the
        second's own, else a level carried from an earlier second, else 0; null when this path
        cannot observe the figure."""
        names = (*GAUGES_MAX, *GAUGES_LAST, *COUNTERS)
        integer = set(INTEGER_FIGURES)
        columns: list[list[float | int | None]] = []
        for name in names:
            if name not in self.observable:
                columns.append([None] * len(seconds))
                continue
            col = self._series_figures.get(name, [])
            covered = max(0, min(seconds.stop, len(col)) - seconds.start)
            values: list[float | int | None] = list(col[seconds.start : seconds.start + covered])
            carried: float | None = None
            for t in range(seconds.start + covered, seconds.stop):
                sec = self._seconds.get(t)
                own = sec.figures.get(name) if sec is not None else None
                if own is not None:
                    values.append(own)
                    if name in GAUGES_LAST:
                        carried = own
                elif name in GAUGES_LAST:
                    values.append(carried)
                else:
                    values.append(0)
            if name in integer:
                values = [None if v is None else int(v) for v in values]
            columns.append(values)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    def build(
        self,
        *,
        run_id: str | None = None,
        finished_at: datetime | None = None,
        partial: bool = False,
        intervals: Mapping[str, Mapping[str, float]] | None = None,
    ) -> RunResult:
        with _collector_paused():
            series, run_hist, run_err = self._series()
        summary = summarize(self.scenario, series, run_hist, run_err)
        summary.throttles_by_cause = self.throttles_by_cause
        prov = self.provenance.model_copy(
            update={
                "finished_at": finished_at or datetime.now(UTC),
                "partial": partial or self.provenance.partial,
                "notes": [*self.provenance.notes, *self.notes],
            }
        )
        return RunResult(
            kind=self.kind,
            run_id=run_id or new_run_id(self.scenario.name, self.kind),
            scenario=self.scenario,
            system=self.system,
            provenance=prov,
            series=series,
            summary=summary,
            faults=list(self.scenario.faults),
            intervals={k: dict(v) for k, v in intervals.items()} if intervals else None,
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a series is built: it allocates several objects per
    second and none of them in cycles, so the collector would only rescan the growing series
    (about half the build's time on a day-long run)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def new_run_id(scenario: str, kind: ResultKind | str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{scenario}-{ResultKind(kind).value}-{uuid.uuid4().hex[:6]}"


def summarize(
    scenario: Scenario,
    series: list[SecondSample],
    run_hist: Mapping[str, LatencyHistogram],
    run_err: Mapping[str, ErrorCounts],
) -> Summary:
    """The summary figures, threshold verdicts and recovery of a series."""
    total_h = LatencyHistogram()
    endpoints: dict[str, EndpointSummary] = {}
    errors = ErrorCounts()
    requests = 0
    for ep, h in sorted(run_hist.items()):
        total_h.merge(h)
        n = sum(s.endpoints[ep].requests for s in series if ep in s.endpoints)
        e = run_err.get(ep, ErrorCounts())
        errors = errors.add(e)
        requests += n
        endpoints[ep] = EndpointSummary(
            requests=n,
            errors=e,
            error_rate=(e.total / n) if n else None,
            latency_ms=percentiles(h),
            mean_ms=h.mean_ms(),
            hdr=h.encode() if h.count else None,
        )
    ok = requests - errors.total
    duration = max(scenario.duration_s, 1.0)
    per_sec_ok = [(s.completed or 0) - (s.errors.total if s.errors else 0) for s in series]
    cold = sum_present([s.cold_starts for s in series])
    invocations = sum_present([s.lambda_invocations for s in series])
    recovery = compute_recovery(scenario, series)
    summary = Summary(
        requests=requests,
        offered=sum_present([s.offered for s in series]),
        errors=errors,
        error_rate=(errors.total / requests) if requests else None,
        throughput_per_s=ok / duration if requests else None,
        peak_throughput_per_s=float(max(per_sec_ok)) if per_sec_ok else None,
        latency_ms=percentiles(total_h),
        endpoints=endpoints,
        recovery_s=recovery.recovery_s if recovery else None,
        recovery=recovery,
        max_lambda_concurrency=max_present([s.lambda_concurrency for s in series]),
        cold_starts=None if cold is None else int(cold),
        cold_start_fraction=(cold / invocations) if cold is not None and invocations else None,
        max_ddb_provisioned_wcu=max_present([s.ddb_provisioned_wcu for s in series]),
        ddb_throttled=None
        if (t := sum_present([s.ddb_throttled for s in series])) is None
        else int(t),
        max_sqs_depth=None if (q := max_present([s.sqs_depth for s in series])) is None else int(q),
        dropped_iterations=None
        if (d := sum_present([s.dropped_iterations for s in series])) is None
        else int(d),
    )
    summary.thresholds = evaluate_thresholds(scenario, summary, run_hist, series)
    verdicts = [v.passed for v in summary.thresholds]
    summary.thresholds_passed = None if not verdicts else all(v is True for v in verdicts)
    return summary


def evaluate_thresholds(
    scenario: Scenario,
    summary: Summary,
    run_hist: Mapping[str, LatencyHistogram] | None = None,
    series: Sequence[SecondSample] | None = None,
) -> list[ThresholdVerdict]:
    """Evaluate the scenario's k6 thresholds against a summary (histograms when available);
    windowed ones (``over 10s``) on every window of ``series`` (unobservable without it)."""
    out: list[ThresholdVerdict] = []
    for endpoint, exprs in scenario.thresholds.items():
        ep = str(endpoint)
        for expr in exprs:
            th = parse_threshold(expr)
            if th.window_s is not None:
                w = judge_windows(th, series or [], ep)
                out.append(
                    ThresholdVerdict(
                        endpoint=ep,
                        expression=expr,
                        observed=w.observed,
                        passed=w.passed,
                        window_start_s=w.window_start_s,
                    )
                )
                continue
            observed = threshold_observed(summary, ep, th.aggregation, th.percentile, run_hist)
            passed = None if observed is None else th.holds(observed)
            out.append(
                ThresholdVerdict(endpoint=ep, expression=expr, observed=observed, passed=passed)
            )
    return out


def endpoint_histogram(
    summary: Summary, endpoint: str, run_hist: Mapping[str, LatencyHistogram] | None = None
) -> LatencyHistogram | None:
    """Whole-run histogram of one endpoint (or 'all'), from memory or the encoded summary."""
    names = list(summary.endpoints) if endpoint == "all" else [endpoint]
    merged = LatencyHistogram()
    for name in names:
        if run_hist is not None and name in run_hist:
            merged.merge(run_hist[name])
            continue
        es = summary.endpoints.get(name)
        if es is None or es.hdr is None:
            if es is not None and es.requests and es.requests > es.errors.timeout:
                return None  # responses exist but no histogram was kept
            continue
        merged.merge(LatencyHistogram.decode(es.hdr))
    return merged


def threshold_observed(
    summary: Summary,
    endpoint: str,
    aggregation: str,
    q: float | None,
    run_hist: Mapping[str, LatencyHistogram] | None = None,
) -> float | None:
    """The observed figure a threshold compares against; None if unobservable."""
    if endpoint == "all":
        requests, errs = summary.requests, summary.errors
    else:
        es = summary.endpoints.get(endpoint)
        if es is None:
            return None
        requests, errs = es.requests, es.errors
    if aggregation == "rate":
        # k6's http_req_failed: the fraction of failed requests.
        return errs.total / requests if requests else None
    if aggregation in ("count", "value"):
        return float(requests)
    h = endpoint_histogram(summary, endpoint, run_hist)
    if h is None or h.count == 0:
        return None
    return h.aggregate(aggregation, q)
