"""Predicted vs observed: align two RunResults on scenario time and compare figures per phase.

Two ways to judge a figure:

- **interval** (default when the prediction carries replications, ``predict --runs N``): the
  observation is one draw from what the prediction says; it agrees when it lies inside the
  prediction interval built from the replications' spread (Student t, ``sqrt(1 + 1/n)`` for a
  new draw), a count's own Poisson noise (at least one event), a figure's resolution and a
  model-error allowance (``Tolerance.model_error``, a relative standard deviation). The
  interval's level is set so that a correct model passes the whole comparison -- every gated
  line together -- with probability ``1 - family_alpha`` (Bonferroni over the gated lines).
  Each line says how surprising the observation is: ``z`` and its two-sided p-value.
- **fixed** (``mode: fixed`` in a tolerances file, or a prediction of one replication):
  ``|observed - predicted| <= max(abs, rel x |predicted|, fraction x requests)``.

A percentile also agrees when the observed value's rank in the predicted distribution is
within ``rank_points`` of the percentile (latency under legacy retries is a staircase): the
rank of the observed value give or take ``model_error`` (a latency 5 % off moves its rank by
many points where requests crowd on one step of the staircase).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from scaling_lab.compare.tolerances import DEFAULT_TOLERANCES, JudgeMode, Tolerance, Tolerances
from scaling_lab.result.figures import (
    COUNT_FIGURES,
    PERCENTILES,
    Phase,
    figure_key,
    first_scale_out_s,
    phase_histogram,
    phase_seconds,
    phases_of,
    series_figures,
)
from scaling_lab.result.models import RunResult

__all__ = [
    "Comparison",
    "Interval",
    "Line",
    "Phase",
    "Verdict",
    "compare",
    "first_scale_out_s",
    "phases_of",
]


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INFO = "info"  # no tolerance: shown, not gated
    NULL = "n/a"  # unobservable on at least one side


@dataclass(frozen=True)
class Interval:
    """What the replicated prediction says of one figure."""

    n: int  # replications with a value
    mean: float
    sd: float  # the standard deviation a new draw has (spread, count noise, resolution, model)
    z_crit: float  # the gated lines' common critical value (family-wise level)

    @property
    def low(self) -> float:
        return max(0.0, self.mean - self.z_crit * self.sd)  # every judged figure is >= 0

    @property
    def high(self) -> float:
        return self.mean + self.z_crit * self.sd

    def z(self, observed: float) -> float:
        if self.sd <= 0:
            return 0.0 if observed == self.mean else math.copysign(math.inf, observed - self.mean)
        return (observed - self.mean) / self.sd


@dataclass
class Line:
    figure: str
    phase: str
    predicted: float | None
    observed: float | None
    tolerance: Tolerance | None
    allowed: float | None = None
    unit: str = ""
    rank: float | None = None  # percentile lines: observed value's rank in the predicted (0-100)
    # ranks of observed x (1 -/+ model_error): where the value may sit, given the model's error
    rank_range: tuple[float, float] | None = None
    interval: Interval | None = None  # interval mode: the prediction's spread

    @property
    def delta(self) -> float | None:
        if self.predicted is None or self.observed is None:
            return None
        return self.observed - self.predicted

    @property
    def delta_rel(self) -> float | None:
        d = self.delta
        if d is None or not self.predicted:
            return None
        return d / abs(self.predicted)

    @property
    def z(self) -> float | None:
        """How many standard deviations of the prediction the observation is off."""
        if self.interval is None or self.observed is None:
            return None
        return self.interval.z(self.observed)

    @property
    def p_value(self) -> float | None:
        """Two-sided: how often a correct model gives an observation at least this far off."""
        z = self.z
        if z is None:
            return None
        return math.erfc(abs(z) / math.sqrt(2.0))

    @property
    def verdict(self) -> Verdict:
        if self.predicted is None or self.observed is None:
            return Verdict.NULL
        if self.tolerance is None or (self.allowed is None and self.interval is None):
            return Verdict.INFO
        assert self.delta is not None
        if self.interval is not None:
            if self.interval.low - 1e-9 <= self.observed <= self.interval.high + 1e-9:
                return Verdict.PASS
        elif self.allowed is not None and abs(self.delta) <= self.allowed + 1e-9:
            return Verdict.PASS
        if self.tolerance.rank_points and self.rank is not None and self.figure.startswith("p"):
            target = float(self.figure[1:])
            lo, hi = self.rank_range or (self.rank, self.rank)
            pts = self.tolerance.rank_points + 1e-9
            if lo <= target + pts and hi >= target - pts:
                return Verdict.PASS
        return Verdict.FAIL


@dataclass
class Comparison:
    predicted: RunResult
    observed: RunResult
    phases: list[Phase]
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: JudgeMode = JudgeMode.FIXED  # how the gated lines were judged
    replications: int = 1  # of the prediction
    family_alpha: float | None = None  # interval mode: false-alarm level of the whole verdict
    excluded_phases: tuple[str, ...] = ()  # shown, not gated (e.g. the data calibrated on)
    excluded_figures: tuple[str, ...] = ()

    @property
    def failed(self) -> list[Line]:
        return [ln for ln in self.lines if ln.verdict is Verdict.FAIL]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def gated(self) -> list[Line]:
        return [ln for ln in self.lines if ln.verdict in (Verdict.PASS, Verdict.FAIL)]

    def line(self, figure: str, phase: str = "overall") -> Line | None:
        for ln in self.lines:
            if ln.figure == figure and ln.phase == phase:
                return ln
        return None

    def describe(self) -> str:
        """One line: how the verdict was reached."""
        if self.mode is JudgeMode.INTERVAL:
            assert self.family_alpha is not None
            how = (
                f"against {self.replications} replications' prediction intervals; a correct "
                f"model passes all {len(self.gated)} gated lines together with probability "
                f">= {1 - self.family_alpha:.0%}"
            )
        else:
            how = "against fixed tolerances"
        excluded = [f"the {p} phase" for p in self.excluded_phases] + list(self.excluded_figures)
        if excluded:
            how += f"; not gated: {', '.join(excluded)} (calibrated on)"
        return how


_UNITS = {
    "recovery_s": "s",
    "first_scale_out_s": "s",
    "p50": "ms",
    "p95": "ms",
    "p99": "ms",
    "throttled": "req",
    "peak_throttle_rate": "req/s",
    "error_rate": "",
    "max_lambda_concurrency": "",
    "cold_start_fraction": "",
    "max_provisioned_wcu": "WCU",
    "ddb_throttled": "req",
}

_SERIES_FIGURES = (
    "throttled",
    "peak_throttle_rate",
    "error_rate",
    "max_lambda_concurrency",
    "cold_start_fraction",
    "max_provisioned_wcu",
    "ddb_throttled",
)


def _z_crit(alpha: float, lines: int) -> float:
    """Two-sided normal critical value at level alpha / lines (Bonferroni)."""
    from scipy.stats import norm

    return float(norm.isf(alpha / (2 * max(lines, 1))))


def _t_factor(n: int, z_crit: float) -> float:
    """Widen a normal critical value for an sd estimated from n values: t_{n-1} at the same
    tail probability over the normal one."""
    from scipy.stats import norm, t

    tail = float(norm.sf(z_crit))
    return float(t.isf(tail, n - 1)) / z_crit


def _interval(
    figure: str, values: Sequence[float], tol: Tolerance, z_crit: float
) -> Interval | None:
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    spread = var * (1.0 + 1.0 / n) * _t_factor(n, z_crit) ** 2
    noise = max(abs(mean), 1.0) if figure in COUNT_FIGURES else 0.0  # Poisson, >= one event
    model = (tol.model_error * abs(mean)) ** 2
    sd = math.sqrt(spread + noise + model + tol.resolution**2)
    return Interval(n=n, mean=mean, sd=sd, z_crit=z_crit)


def compare(
    predicted: RunResult,
    observed: RunResult,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    *,
    exclude_phases: Sequence[str] = (),
    exclude_figures: Sequence[str] = (),
) -> Comparison:
    """Compare two results of the same scenario. Null figures are shown, never compared.
    Lines of ``exclude_phases`` and ``exclude_figures`` are shown and not gated (data a
    calibration was fitted on)."""
    cmp = Comparison(predicted, observed, phases_of(observed))
    cmp.excluded_phases = tuple(exclude_phases)
    cmp.excluded_figures = tuple(exclude_figures)
    if predicted.scenario.name != observed.scenario.name:
        cmp.notes.append(
            f"different scenarios: {predicted.scenario.name!r} vs {observed.scenario.name!r}"
        )
    if abs(predicted.scenario.scale - observed.scenario.scale) > 1e-9:
        cmp.notes.append(
            f"different scales: predicted x{predicted.scenario.scale:g}, "
            f"observed x{observed.scenario.scale:g}; rates and capacities differ"
        )
    arrivals = predicted.provenance.arrivals
    if arrivals == "poisson" and observed.provenance.target != "model":
        cmp.notes.append(
            "the prediction drew Poisson arrivals; k6 spaces them evenly (predict "
            "--arrivals even to predict a k6 run)"
        )
    reps = predicted.replicates or {}
    n_reps = max((len(v) for v in reps.values()), default=1)
    interval_mode = tolerances.mode is JudgeMode.INTERVAL and n_reps >= 2
    if tolerances.mode is JudgeMode.INTERVAL and not interval_mode:
        cmp.notes.append(
            "the prediction has one replication: judged against fixed tolerances "
            "(predict --runs N gives prediction intervals)"
        )
    cmp.mode = JudgeMode.INTERVAL if interval_mode else JudgeMode.FIXED
    cmp.replications = n_reps
    pending: list[tuple[Line, list[float]]] = []

    def tol(name: str) -> Tolerance | None:
        value = getattr(tolerances, name, None)
        return value if isinstance(value, Tolerance) else None

    def add(figure: str, phase: str, p: float | None, o: float | None, requests: float = 0) -> None:
        t = tol(figure)
        if t is not None and (
            phase.split(":")[0] in cmp.excluded_phases or figure in cmp.excluded_figures
        ):
            t = None
        values = [v for v in reps.get(figure_key(figure, phase), []) if v is not None]
        if interval_mode and values and p is not None:
            p = math.fsum(values) / len(values)  # the prediction: the replications' mean
        allowed = None if (t is None or p is None) else t.allowed(p, requests)
        ln = Line(figure, phase, p, o, t, allowed, _UNITS.get(figure, ""))
        cmp.lines.append(ln)
        if interval_mode and t is not None and p is not None and o is not None:
            pending.append((ln, values))

    # Recovery (overall only).
    pr, ob = predicted.summary.recovery, observed.summary.recovery
    if pr is not None or ob is not None:
        add("recovery_s", "overall", pr.recovery_s if pr else None, ob.recovery_s if ob else None)

    endpoints = sorted(set(predicted.summary.endpoints) | set(observed.summary.endpoints))
    for phase in [None, *cmp.phases]:
        pname = "overall" if phase is None else phase.name
        psec, osec = phase_seconds(predicted.series, phase), phase_seconds(observed.series, phase)
        pf, of = series_figures(psec), series_figures(osec)
        for name in endpoints:
            ph, oh = phase_histogram(psec, name), phase_histogram(osec, name)
            for q, label in PERCENTILES:
                pv = ph.percentile_ms(q) if ph else None
                ov = oh.percentile_ms(q) if oh else None
                add(label, f"{pname}:{name}", pv, ov)
                if ph is not None and ov is not None:
                    r = ph.rank_of(ov)
                    ln = cmp.lines[-1]
                    ln.rank = None if r is None else 100.0 * r
                    m = ln.tolerance.model_error if ln.tolerance is not None else 0.0
                    lo, hi = ph.rank_of(ov * (1 - m)), ph.rank_of(ov * (1 + m))
                    if m and lo is not None and hi is not None:
                        ln.rank_range = (100.0 * lo, 100.0 * hi)
        add("throttled", pname, pf["throttled"], of["throttled"], of["requests"] or 0.0)
        for figure in _SERIES_FIGURES[1:]:
            add(figure, pname, pf[figure], of[figure])
    add(
        "first_scale_out_s",
        "overall",
        first_scale_out_s(predicted.series),
        first_scale_out_s(observed.series),
    )
    if interval_mode:
        cmp.family_alpha = tolerances.family_alpha
        z_crit = _z_crit(tolerances.family_alpha, len(pending))
        for ln, values in pending:
            assert ln.tolerance is not None
            if len(values) < 2:
                continue  # not replicated (e.g. recovery never seen): fixed tolerance
            ln.interval = _interval(ln.figure, values, ln.tolerance, z_crit)
            if ln.interval is not None:
                ln.allowed = ln.interval.z_crit * ln.interval.sd
    return cmp
