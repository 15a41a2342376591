"""Regression detection: flag a degradation only when it exceeds the threshold AND the data
support it.

For each endpoint (and ``all``) the p50/p95/p99 latency, successful throughput and error rate of
a candidate are compared with a baseline. Either side is one run or several reruns, pooled
(figures off the merged histograms; each run's seconds resampled on their own): more reruns
average out run-to-run drift and detect smaller changes. Uncertainty has two parts:

1. *within a run*: a moving-block bootstrap over the per-second data (per-second HDR
   histograms, request and error counts). When both runs follow the same schedule, the same
   resampled seconds are used for both (paired), so the load shape cancels out. Blocks keep
   the autocorrelation of a noisy machine: their length is chosen automatically (Politis &
   White) from the per-second median *and* tail (p95) latency, the longer of the two, so a
   few seconds of contention in a row count as one event, not as many independent ones.
2. *between runs*: when the history holds at least three comparable runs (same scenario,
   system, target and backend), the spread of their figures (sd of the log, outliers
   dropped) is added, shrunk by the number of runs on each side. Without them, the runs' own
   per-second data are all there is; the report says so.

Two decision rules, by what the interval covers (``RegressionReport.rule``):

- *run-to-run noise measured* (history, or predicted runs, which differ by sampling alone):
  a figure is a **regression** when its interval lies above no change (significant) and its
  degradation is above the threshold (material): the usual test, whose false-alarm rate on
  same-configuration reruns stays below (1 - confidence) / 2.
- *not measured* (observed runs, no comparable history): the interval does not cover a
  machine's drift between runs, so the lower end of the interval itself must be above the
  threshold; the threshold is the margin for the drift nobody measured.

**inconclusive**: the degradation is above the threshold but not a regression; **improved**:
the upper end of the interval is below minus the threshold. Every verdict carries the smallest
degradation the data at hand can flag (``detectable``). Degradation: latency
``candidate/baseline - 1``; throughput ``1 - candidate/baseline``; error rate
``candidate - baseline`` (absolute), whose threshold is ``max(threshold x baseline rate,
ERROR_RATE_FLOOR)``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from scaling_lab.errors import InputError
from scaling_lab.formatting import fmt_change
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import ResultKind, RunResult

__all__ = [
    "ERROR_RATE_FLOOR",
    "METRICS",
    "RULE_MARGIN",
    "RULE_SIGNIFICANT",
    "RUN_NOISE_DEFAULTS",
    "MetricVerdict",
    "RegressionReport",
    "Verdict",
    "detect_regressions",
    "parse_threshold_pct",
    "run_noise_from_history",
]

METRICS = ("p50", "p95", "p99", "throughput", "error_rate")
_QUANTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0}

# An error-rate increase below 0.05 percentage points (half the story's 0.1 % error budget) is
# never flagged, however significant.
ERROR_RATE_FLOOR = 0.0005

# Run-to-run noise used for a metric that comparable history cannot estimate (fewer than
# three runs with it): none beyond the runs' own per-second data (see the module docstring).
# Throughput has no measurable noise in an open-model run; 0.5 % is an allowance for
# arrival-timing jitter (ASSUMPTION).
RUN_NOISE_DEFAULTS: dict[str, float] = {
    "p50": 0.0,
    "p95": 0.0,
    "p99": 0.0,
    "throughput": 0.005,
    "error_rate": 0.0,
}


# The two decision rules (see the module docstring).
RULE_SIGNIFICANT = "interval above no change and degradation above the threshold"
RULE_MARGIN = "interval above the threshold (run-to-run drift not measured)"


class Verdict(StrEnum):
    REGRESSION = "regression"
    INCONCLUSIVE = "inconclusive"  # above the threshold, but within the noise
    OK = "ok"
    IMPROVED = "improved"
    NOT_OBSERVED = "not observed"


@dataclass(frozen=True)
class MetricVerdict:
    endpoint: str
    metric: str  # p50 | p95 | p99 | throughput | error_rate
    baseline: float | None  # ms, ok/s or a fraction
    candidate: float | None
    degradation: float | None  # relative (latency, throughput) or absolute (error rate)
    ci_low: float | None
    ci_high: float | None
    threshold: float  # same unit as degradation
    verdict: Verdict
    run_noise: float = 0.0  # sd of ln(figure) between runs that was allowed for
    # the smallest degradation these data would flag: threshold + the interval's half-width
    # below the point estimate (None: too few samples to say)
    detectable: float | None = None

    @property
    def unit(self) -> str:
        return {"throughput": "ok/s", "error_rate": ""}.get(self.metric, "ms")

    def value_text(self, x: float | None) -> str:
        """A baseline or candidate figure in its unit."""
        if x is None:
            return "not observed"
        if self.metric == "error_rate":
            return f"{x:.4%}"
        return f"{x:,.2f} {self.unit}"

    def change_text(self, x: float | None) -> str:
        """A degradation, bound or threshold: relative, or percentage points for error rate."""
        return fmt_change(x, points=self.metric == "error_rate")

    def describe(self, confidence: float) -> str:
        """One line: baseline -> candidate, degradation, interval, threshold."""
        if self.verdict is Verdict.NOT_OBSERVED:
            return f"{self.endpoint} {self.metric}: not observed in one of the runs"
        ci = (
            ""
            if self.ci_low is None or self.ci_high is None
            else f", {confidence:.0%} CI [{self.change_text(self.ci_low)}, "
            f"{self.change_text(self.ci_high)}]"
        )
        return (
            f"{self.endpoint} {self.metric}: {self.value_text(self.baseline)} -> "
            f"{self.value_text(self.candidate)}, degradation {self.change_text(self.degradation)}"
            f"{ci}, threshold {self.change_text(self.threshold)}: {self.verdict.value}"
        )


@dataclass
class RegressionReport:
    baseline_id: str
    candidate_id: str
    threshold: float
    confidence: float
    paired: bool
    noise_source: str
    block_s: int = 1  # bootstrap block length (seconds)
    baseline_runs: int = 1  # reruns pooled on each side
    candidate_runs: int = 1
    rule: str = ""  # RULE_SIGNIFICANT or RULE_MARGIN
    verdicts: list[MetricVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[MetricVerdict]:
        return [v for v in self.verdicts if v.verdict is Verdict.REGRESSION]

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def to_dict(self) -> dict[str, object]:
        """The report as a JSON-ready document (``regress --json``)."""
        return {
            "baseline": self.baseline_id,
            "candidate": self.candidate_id,
            "baseline_runs": self.baseline_runs,
            "candidate_runs": self.candidate_runs,
            "threshold": self.threshold,
            "confidence": self.confidence,
            "rule": self.rule,
            "paired": self.paired,
            "block_s": self.block_s,
            "run_noise": self.noise_source,
            "regressed": self.regressed,
            "notes": list(self.notes),
            "verdicts": [
                {
                    "endpoint": v.endpoint,
                    "metric": v.metric,
                    "baseline": v.baseline,
                    "candidate": v.candidate,
                    "degradation": v.degradation,
                    "ci_low": v.ci_low,
                    "ci_high": v.ci_high,
                    "threshold": v.threshold,
                    "verdict": v.verdict.value,
                    "detectable": v.detectable,
                }
                for v in self.verdicts
            ],
        }


def parse_threshold_pct(text: str | float) -> float:
    """``"5%"``, ``"5"`` or ``0.05`` -> 0.05."""
    if isinstance(text, int | float):
        value = float(text)
        return value / 100.0 if value >= 1 else value
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(%?)\s*", text)
    if not m:
        raise InputError(f"--threshold {text!r}: expected a percentage such as 5%")
    value = float(m.group(1))
    if m.group(2) or value >= 1:
        value /= 100.0
    if not 0 < value < 1:
        raise InputError(f"--threshold {text!r}: expected a percentage between 0 and 100")
    return value


# -- per-second data ---------------------------------------------------------------------------
@dataclass
class _Run:
    seconds: NDArray[np.int64]
    requests: dict[str, NDArray[np.float64]]
    errors: dict[str, NDArray[np.float64]]
    # per endpoint: {t_s: (bin ids, counts)} or None when per-second histograms were not kept
    hists: dict[str, dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] | None]
    # per-second latency percentiles over all endpoints (dispersion, block length), once
    quantiles: dict[float, NDArray[np.float64] | None] = field(default_factory=dict)


def _bins_of(h: LatencyHistogram) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(HDR counts-array indices, counts) of the recorded buckets of a histogram."""
    idx, cnt = h.bins()
    return idx.astype(np.int64), cnt.astype(np.float64)


def _values_of(indices: NDArray[np.int64]) -> NDArray[np.float64]:
    """Bucket values (us) of HDR counts-array indices, as HdrHistogram.get_value_from_index."""
    h = LatencyHistogram()._h
    bucket = (indices >> h.sub_bucket_half_count_magnitude) - 1
    sub = (indices & (h.sub_bucket_half_count - 1)) + h.sub_bucket_half_count
    low = bucket < 0
    sub = np.where(low, sub - h.sub_bucket_half_count, sub)
    bucket = np.where(low, 0, bucket)
    values = sub.astype(np.float64) * np.exp2(bucket + int(h.unit_magnitude))
    return np.asarray(values, dtype=np.float64)


def _extract(result: RunResult) -> _Run:
    endpoints = sorted({ep for s in result.series for ep in s.endpoints})
    seconds = np.array([s.t_s for s in result.series], dtype=np.int64)
    requests = {ep: np.zeros(len(seconds)) for ep in endpoints}
    errors = {ep: np.zeros(len(seconds)) for ep in endpoints}
    hists: dict[str, dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] | None] = {
        ep: {} for ep in endpoints
    }
    for i, s in enumerate(result.series):
        for ep, sec in s.endpoints.items():
            requests[ep][i] = sec.requests
            errors[ep][i] = sec.errors.total
            table = hists[ep]
            if table is None:
                continue
            h = sec.histogram()
            if h is not None:
                table[int(s.t_s)] = _bins_of(h)
            elif sec.requests > sec.errors.timeout:
                hists[ep] = None  # responses without a histogram: no latency test possible
    return _Run(seconds, requests, errors, hists)


# -- bootstrap ---------------------------------------------------------------------------------
def block_length(x: NDArray[np.float64]) -> int:
    """Automatic block length for a circular/moving-block bootstrap of a stationary series
    (Politis & White 2004, with the correction of Patton, Politis & White 2009)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 8 or float(np.var(x)) == 0.0:
        return 1
    xc = x - x.mean()
    kn = max(5, math.ceil(math.sqrt(math.log10(n))))
    m_max = min(n - 1, math.ceil(math.sqrt(n)) + kn)
    gamma = np.array([float(np.dot(xc[: n - k], xc[k:])) / n for k in range(m_max + 1)])
    rho = gamma / gamma[0]
    crit = 2.0 * math.sqrt(math.log10(n) / n)
    m_hat = m_max
    for m in range(1, m_max - kn + 1):
        if np.all(np.abs(rho[m : m + kn]) < crit):
            m_hat = m - 1
            break
    big_m = min(2 * max(m_hat, 1), m_max)
    lags = np.arange(-big_m, big_m + 1)
    t = np.abs(lags) / big_m
    lam = np.where(t <= 0.5, 1.0, np.where(t <= 1.0, 2.0 * (1.0 - t), 0.0))
    g = gamma[np.abs(lags)]
    big_g = float(np.sum(lam * np.abs(lags) * g))
    g0 = float(np.sum(lam * g))
    d_cb = (4.0 / 3.0) * g0 * g0
    if d_cb <= 0:
        return 1
    b = (2.0 * big_g * big_g / d_cb) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return int(min(max(1, round(b)), max(1, n // 3)))


def _block_weights(rng: np.random.Generator, n: int, reps: int, block: int) -> NDArray[np.float64]:
    """(reps x n) counts of how often each second is drawn by a moving-block bootstrap."""
    block = max(1, min(n, block))
    nblocks = math.ceil(n / block)
    starts = rng.integers(0, n - block + 1, size=(reps, nblocks))
    idx = (starts[:, :, None] + np.arange(block)).reshape(reps, -1)[:, :n]
    flat = (idx + np.arange(reps)[:, None] * n).ravel()
    return np.bincount(flat, minlength=reps * n).reshape(reps, n).astype(np.float64)


def _quantile_of_counts(
    counts: NDArray[np.float64], values: NDArray[np.float64], q: float
) -> NDArray[np.float64]:
    """q-th percentile of each row of bin counts; NaN for an empty row."""
    cum = np.cumsum(counts, axis=-1)
    total = cum[..., -1:]
    target = np.maximum(np.ceil(q / 100.0 * total - 1e-9), 1.0)
    idx = np.argmax(cum >= target, axis=-1)
    out = values[idx]
    return np.asarray(np.where(total[..., 0] > 0, out, np.nan), dtype=np.float64)


def _stat_samples(
    base_rows: NDArray[np.float64],
    cand_rows: NDArray[np.float64],
    wb: NDArray[np.float64],
    wc: NDArray[np.float64],
    stat: str,
    values: NDArray[np.float64] | None = None,
    base_err: NDArray[np.float64] | None = None,
    cand_err: NDArray[np.float64] | None = None,
) -> tuple[float, float, NDArray[np.float64], NDArray[np.float64]]:
    """Point estimates and bootstrap replicates of one statistic for both runs."""
    if stat in _QUANTILES:
        assert values is not None
        q = _QUANTILES[stat]
        pb = float(_quantile_of_counts(base_rows.sum(axis=0), values, q))
        pc = float(_quantile_of_counts(cand_rows.sum(axis=0), values, q))
        return (
            pb,
            pc,
            _quantile_of_counts(wb @ base_rows, values, q),
            _quantile_of_counts(wc @ cand_rows, values, q),
        )
    if stat == "throughput":  # mean successful responses per second
        nb, nc = base_rows.shape[0], cand_rows.shape[0]
        return (
            float(base_rows.sum() / nb),
            float(cand_rows.sum() / nc),
            (wb @ base_rows) / nb,
            (wc @ cand_rows) / nc,
        )
    assert base_err is not None and cand_err is not None  # error rate
    with np.errstate(invalid="ignore", divide="ignore"):
        pb = float(base_err.sum() / base_rows.sum()) if base_rows.sum() else math.nan
        pc = float(cand_err.sum() / cand_rows.sum()) if cand_rows.sum() else math.nan
        return pb, pc, (wb @ base_err) / (wb @ base_rows), (wc @ cand_err) / (wc @ cand_rows)


Runs = RunResult | Sequence[RunResult]


def _as_runs(runs: Runs, label: str) -> list[RunResult]:
    out = [runs] if isinstance(runs, RunResult) else list(runs)
    if not out:
        raise InputError(f"{label}: no runs given")
    return out


def detect_regressions(
    baseline: Runs,
    candidate: Runs,
    *,
    threshold: float = 0.05,
    confidence: float = 0.95,
    reps: int = 1000,
    seed: int = 0,
    run_noise: Mapping[str, float] | None = None,
    noise_source: str | None = None,
) -> RegressionReport:
    """Compare ``candidate`` with ``baseline``; see the module docstring for the method.

    Each side is one run or several reruns of it (pooled: their seconds are resampled run by
    run, their figures read off the merged histograms, and the between-run noise shrinks with
    the number of runs: more reruns detect smaller changes). ``run_noise`` (sd of ln(figure)
    between reruns, per metric) defaults to RUN_NOISE_DEFAULTS for observed runs and to none
    for predicted runs.
    """
    if not 0 < threshold < 1:
        raise InputError(f"threshold {threshold!r}: expected a fraction between 0 and 1")
    if not 0.5 <= confidence < 1:
        raise InputError(f"confidence {confidence!r}: expected a value in [0.5, 1)")
    bases, cands = _as_runs(baseline, "baseline"), _as_runs(candidate, "candidate")
    first_b, first_c = bases[0], cands[0]
    notes: list[str] = []
    if first_b.scenario.name != first_c.scenario.name:
        notes.append(
            f"different scenarios: baseline {first_b.scenario.name!r}, "
            f"candidate {first_c.scenario.name!r}"
        )
    if first_b.kind != first_c.kind:
        notes.append(
            f"comparing a {first_c.kind.value} run with a {first_b.kind.value} "
            "baseline; `compare` is meant for predicted vs observed"
        )
    for side, label in ((bases, "baseline"), (cands, "candidate")):
        if len({(r.scenario.name, r.kind) for r in side}) > 1:
            notes.append(f"the {label} runs are not reruns of one scenario and kind")
        for r in side:
            if r.provenance.partial:
                notes.append(f"the {label} run {r.run_id} is partial (interrupted)")
    both_predicted = all(r.kind is ResultKind.PREDICTED for r in (*bases, *cands))
    # Is every source of difference between reruns inside the interval? Predicted runs differ
    # by sampling alone (the bootstrap); observed runs also drift from run to run, which only
    # a measured run-to-run noise covers.
    noise_known = run_noise is not None or both_predicted
    if run_noise is None:
        run_noise = {} if both_predicted else dict(RUN_NOISE_DEFAULTS)
        noise_source = noise_source or (
            "none (predicted runs: sampling noise only)"
            if both_predicted
            else "the runs' own per-second data (fewer than 3 comparable runs in the history)"
        )
    rbs, rcs = [_extract(r) for r in bases], [_extract(r) for r in cands]
    disp_b, disp_c = _side_max(rbs, 50.0), _side_max(rcs, 50.0)
    if disp_b is not None and disp_c is not None and disp_c > 2.0 * disp_b and disp_c > 0.05:
        notes.append(
            f"the candidate's median latency varies from second to second {disp_c / disp_b:.1f}x "
            "as much as the baseline's: another process competing for the CPU? Rerun on a "
            "quiet machine before trusting a latency regression"
        )
    tail_b, tail_c = _side_max(rbs, 95.0), _side_max(rcs, 95.0)
    contended = _contended(tail_b, tail_c)
    if contended:
        notes.append(
            f"second-to-second tail latency (p95) varies {tail_b or 0:.0%} in the baseline and "
            f"{tail_c or 0:.0%} in the candidate: one of them ran beside other work on the CPU, so "
            "a p95/p99 change is not attributed to the code (inconclusive at most); rerun both "
            "on a quiet machine"
        )
    if min(len(r.seconds) for r in (*rbs, *rcs)) == 0:
        raise InputError("a run has no per-second data; nothing to compare")
    paired = all(
        r.scenario.name == first_b.scenario.name
        and abs(r.scenario.duration_s - first_b.scenario.duration_s) < 1
        for r in (*bases, *cands)
    ) and all(np.array_equal(rbs[0].seconds, r.seconds) for r in (*rbs, *rcs))
    block = max(_series_block_length(r) for r in (*rbs, *rcs))
    rng = np.random.default_rng(seed)
    w_b = [_block_weights(rng, len(r.seconds), reps, block) for r in rbs]
    w_c = [
        w_b[i] if paired and i < len(w_b) else _block_weights(rng, len(r.seconds), reps, block)
        for i, r in enumerate(rcs)
    ]
    wb, wc = np.hstack(w_b), np.hstack(w_c)
    noise_rng = np.random.default_rng(seed + 1)
    alpha = (1.0 - confidence) / 2.0
    # two independent means of len(bases) and len(cands) runs, each run off by sigma
    noise_scale = math.sqrt(1.0 / len(bases) + 1.0 / len(cands))

    endpoints = sorted({ep for r in (*rbs, *rcs) for ep in r.requests})
    groups: list[tuple[str, list[str]]] = [(ep, [ep]) for ep in endpoints]
    if len(endpoints) > 1:
        groups.append(("all", endpoints))
    report = RegressionReport(
        baseline_id=", ".join(r.run_id for r in bases),
        candidate_id=", ".join(r.run_id for r in cands),
        threshold=threshold,
        confidence=confidence,
        paired=paired,
        noise_source=noise_source or "given",
        notes=notes,
        block_s=block,
        baseline_runs=len(bases),
        candidate_runs=len(cands),
        rule=RULE_SIGNIFICANT if noise_known else RULE_MARGIN,
    )
    for name, members in groups:
        req_b, err_b = _counts(rbs, members)
        req_c, err_c = _counts(rcs, members)
        latency = _latency_rows([*rbs, *rcs], members)
        for metric in METRICS:
            if metric in _QUANTILES:
                if latency is None:
                    pb = pc = math.nan
                    sb = sc = np.full(reps, math.nan)
                else:
                    mats, values = latency
                    sigma = float(run_noise.get(metric, 0.0))
                    pb, sb = _median_of_runs(
                        mats[: len(rbs)], w_b, values, metric, sigma, noise_rng
                    )
                    pc, sc = _median_of_runs(
                        mats[len(rbs) :], w_c, values, metric, sigma, noise_rng
                    )
            elif metric == "throughput":
                pb, pc, sb, sc = _stat_samples(req_b - err_b, req_c - err_c, wb, wc, metric)
            else:
                pb, pc, sb, sc = _stat_samples(
                    req_b, req_c, wb, wc, metric, base_err=err_b, cand_err=err_c
                )
            sigma = float(run_noise.get(metric, 0.0))
            v = _verdict(
                name,
                metric,
                pb,
                pc,
                sb,
                sc,
                threshold,
                alpha,
                sigma,
                0.0 if metric in _QUANTILES else noise_scale,  # latency: noise drawn per run
                noise_known,
                noise_rng,
            )
            if contended and metric in ("p95", "p99") and v.verdict is Verdict.REGRESSION:
                v = replace(v, verdict=Verdict.INCONCLUSIVE)
            report.verdicts.append(v)
    return report


def _median_of_runs(
    mats: Sequence[NDArray[np.float64]],
    weights: Sequence[NDArray[np.float64]],
    values: NDArray[np.float64],
    metric: str,
    sigma: float,
    rng: np.random.Generator,
) -> tuple[float, NDArray[np.float64]]:
    """One side's latency percentile (ms) and its bootstrap replicates: each run's figure
    off its own histograms (its seconds resampled on their own), each replicate moved by
    the run-to-run noise ``sigma`` (sd of the log) drawn per run, and the side's figure the
    median over its runs: one rerun disturbed by the machine among three does not move it."""
    q = _QUANTILES[metric]
    points = np.array([float(_quantile_of_counts(m.sum(axis=0), values, q)) for m in mats])
    reps = np.column_stack(
        [_quantile_of_counts(w @ m, values, q) for m, w in zip(mats, weights, strict=True)]
    )
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a run without responses: NaN
        logs = np.log(reps / 1000.0)
        if sigma > 0:
            logs = logs + rng.normal(0.0, sigma, size=logs.shape)
        point = float(np.exp(np.nanmedian(np.log(points / 1000.0))))
        return point, np.exp(np.nanmedian(logs, axis=1))


def _counts(
    runs: Sequence[_Run], members: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-second requests and errors summed over ``members``, the runs' seconds one after
    another."""
    req, err = [], []
    for r in runs:
        zeros = np.zeros(len(r.seconds))
        req.append(sum((r.requests.get(ep, zeros) for ep in members), zeros))
        err.append(sum((r.errors.get(ep, zeros) for ep in members), zeros))
    return np.concatenate(req), np.concatenate(err)


def _side_max(runs: Sequence[_Run], q: float) -> float | None:
    values = [d for d in (_dispersion(r, q) for r in runs) if d is not None]
    return max(values) if values else None


# A run's tail is "contended" when its per-second p95 wanders by more than 25 % (robust sd of
# the log) from second to second: the sign of other processes taking the cores for seconds at
# a time; a slower handler moves every second alike. ASSUMPTION, judged on the loopback
# fixtures (tests/unit/store/fixtures): quiet runs wander 3-12 %, runs beside other jobs
# 20-80 %.
CONTENTION_FLOOR = 0.25


def _contended(a: float | None, b: float | None) -> bool:
    return max(a or 0.0, b or 0.0) > CONTENTION_FLOOR


def _dispersion(run: _Run, q: float = 50.0) -> float | None:
    """Robust spread (MAD of the log) of the per-second q-th percentile latency."""
    series = _per_second_quantile(run, q)
    if series is None or len(series) < 5 or not np.all(series > 0):
        return None
    logs = np.log(series)
    return float(1.4826 * np.median(np.abs(logs - np.median(logs))))


_SERIES_QUANTILES = (50.0, 95.0)


def _per_second_quantile(run: _Run, q: float) -> NDArray[np.float64] | None:
    """The run's per-second q-th percentile latency (us), seconds with responses only; the
    per-second rows are built once per run for every percentile the checks read."""
    if q not in run.quantiles:
        rows = _latency_rows([run], sorted(run.requests))
        for each in {*_SERIES_QUANTILES, q}:
            if rows is None:
                run.quantiles[each] = None
                continue
            (mat,), values = rows
            out = _quantile_of_counts(mat, values, each)
            run.quantiles[each] = np.asarray(out[np.isfinite(out)], dtype=np.float64)
    return run.quantiles[q]


def _series_block_length(run: _Run) -> int:
    """Block length from the run's per-second median and p95 latency (log; the longer), or,
    without histograms, its per-second responses."""
    lengths = []
    for q in _SERIES_QUANTILES:
        series = _per_second_quantile(run, q)
        if series is not None and len(series) >= 8 and np.all(series > 0):
            lengths.append(block_length(np.log(series)))
    if lengths:
        return max(lengths)
    total = sum((v for v in run.requests.values()), np.zeros(len(run.seconds)))
    return block_length(np.asarray(total, dtype=np.float64))


def _latency_rows(
    runs: Sequence[_Run], members: Sequence[str]
) -> tuple[list[NDArray[np.float64]], NDArray[np.float64]] | None:
    """Per run an S x K matrix of per-second bin counts summed over ``members``, all on one
    bin grid, and the grid's bin values (us)."""
    tables = []
    for run in runs:
        merged: dict[int, list[tuple[NDArray[np.int64], NDArray[np.float64]]]] = {}
        for ep in members:
            if ep not in run.hists:
                continue
            table = run.hists[ep]
            if table is None:
                return None
            for t, pair in table.items():
                merged.setdefault(t, []).append(pair)
        tables.append(merged)
    all_ids = [ids for tab in tables for pairs in tab.values() for ids, _ in pairs]
    if not all_ids:
        return None
    grid = np.unique(np.concatenate(all_ids))
    values = _values_of(grid)
    mats = []
    for run, tab in zip(runs, tables, strict=True):
        mat = np.zeros((len(run.seconds), len(grid)))
        pos = {int(t): i for i, t in enumerate(run.seconds)}
        for t, pairs in tab.items():
            for ids, counts in pairs:
                np.add.at(mat[pos[t]], np.searchsorted(grid, ids), counts)
        mats.append(mat)
    return mats, values


def _verdict(
    endpoint: str,
    metric: str,
    pb: float,
    pc: float,
    sb: NDArray[np.float64],
    sc: NDArray[np.float64],
    threshold: float,
    alpha: float,
    sigma: float,
    noise_scale: float,
    noise_known: bool,
    rng: np.random.Generator,
) -> MetricVerdict:
    def opt(x: float) -> float | None:
        return None if math.isnan(x) else x

    base, cand = opt(pb), opt(pc)
    if base is None or cand is None or (metric != "error_rate" and base <= 0):
        return MetricVerdict(
            endpoint, metric, base, cand, None, None, None, threshold, Verdict.NOT_OBSERVED, sigma
        )
    ok = ~(np.isnan(sb) | np.isnan(sc))
    sb, sc = sb[ok], sc[ok]
    if metric == "error_rate":
        thr = max(threshold * base, ERROR_RATE_FLOOR)
        point = cand - base
        samples = sc - sb
    else:
        thr = threshold
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(sc / sb)
        log_ratio = log_ratio[np.isfinite(log_ratio)]
        if sigma > 0:  # each run off by its run-to-run noise sigma; the sides' means less
            log_ratio = log_ratio + rng.normal(0.0, sigma * noise_scale, size=len(log_ratio))
        sign = 1.0 if metric in _QUANTILES else -1.0  # throughput: lower is worse
        point = sign * (cand / base - 1.0)
        samples = sign * (np.exp(log_ratio) - 1.0)
    if len(samples) < 10:
        return MetricVerdict(
            endpoint,
            metric,
            base,
            cand,
            point,
            None,
            None,
            thr,
            Verdict.INCONCLUSIVE if point > thr else Verdict.OK,
            sigma,
        )
    lo, hi = (float(x) for x in np.quantile(samples, [alpha, 1.0 - alpha]))
    if noise_known:  # significant (interval above no change) and material (above threshold)
        detectable = max(thr, point - lo)
        regressed = lo > 0.0 and point > thr
    else:  # between-run drift unknown: the interval itself must clear the threshold
        detectable = thr + max(0.0, point - lo)
        regressed = lo > thr
    if regressed:
        verdict = Verdict.REGRESSION
    elif point > thr:
        verdict = Verdict.INCONCLUSIVE
    elif hi < -thr:
        verdict = Verdict.IMPROVED
    else:
        verdict = Verdict.OK
    return MetricVerdict(
        endpoint, metric, base, cand, point, lo, hi, thr, verdict, sigma, detectable
    )


def run_noise_from_history(
    results: Sequence[RunResult], *, min_runs: int = 3
) -> dict[str, float] | None:
    """Run-to-run noise (sd of ln(figure)) from comparable earlier runs, or None when fewer
    than ``min_runs`` are available. Uses each run's whole-run summary.

    The sample standard deviation of the runs left after dropping outliers (further than 3.5
    robust sd, 1.4826 x MAD, from the median: a run made on an overloaded machine). Not the
    MAD itself: from a handful of runs it is too unsteady (37 % efficiency at the normal) and
    too often small, which would make same-configuration reruns look like regressions."""
    if len(results) < min_runs:
        return None
    out: dict[str, float] = {}
    for metric in METRICS:
        if metric == "error_rate":
            out[metric] = 0.0
            continue
        vals = []
        for r in results:
            s = r.summary
            v = s.throughput_per_s if metric == "throughput" else getattr(s.latency_ms, metric)
            if v is not None and v > 0:
                vals.append(math.log(v))
        if len(vals) < min_runs:
            out[metric] = RUN_NOISE_DEFAULTS[metric]
            continue
        arr = np.asarray(vals)
        dev = np.abs(arr - np.median(arr))
        robust_sd = 1.4826 * float(np.median(dev))
        kept = arr[dev <= 3.5 * robust_sd] if robust_sd > 0 else arr[dev == 0]
        out[metric] = float(np.std(kept, ddof=1)) if len(kept) >= 2 else robust_sd
    return out
