"""``predict()``: run the model for a scenario and system and return a predicted RunResult."""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum

import numpy as np

from scaling_lab.aws.metrics import Figure
from scaling_lab.errors import InputError
from scaling_lab.model.exact import run_exact
from scaling_lab.model.fast import run_fast
from scaling_lab.model.world import Streams, World
from scaling_lab.provenance import make_provenance
from scaling_lab.result.builder import ResultBuilder
from scaling_lab.result.figures import result_figures
from scaling_lab.result.models import ResultKind, RunResult, Summary
from scaling_lab.scenario.limits import MAX_SEED
from scaling_lab.scenario.models import ArrivalProcess, Scenario
from scaling_lab.system.models import DynamoDBMode, SystemConfig
from scaling_lab.system.scaling import scale_system

__all__ = ["Mode", "interval_figures", "predict", "simulate"]

ProgressCallback = Callable[[float], None]


class Mode(StrEnum):
    FAST = "fast"  # millisecond cohorts (default)
    EXACT = "exact"  # one SimPy process per request


# Student t quantiles t_{0.975, df} for the 95 % interval of a mean (scipy.stats.t.ppf).
def _t975(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def simulate(
    scenario: Scenario,
    system: SystemConfig,
    *,
    seed: int,
    mode: Mode | str = Mode.FAST,
    progress: ProgressCallback | None = None,
) -> World:
    """One replication: the simulated world after the run. ``system`` is used as given (already
    scaled); ``scenario.rate_at`` applies the scenario's own scale."""
    world = World(scenario, system)
    streams = Streams.from_seed(seed)
    if Mode(mode) is Mode.EXACT:
        run_exact(world, streams, progress)
    else:
        run_fast(world, streams, progress)
    return world


def _build(
    world: World, scenario: Scenario, system: SystemConfig, *, seed: int, mode: Mode, runs: int
) -> ResultBuilder:
    """Fold a simulated world into a builder; ``system`` is the unscaled one (the result
    records the scenario's scale in its provenance)."""
    on_demand = system.dynamodb.mode is DynamoDBMode.ON_DEMAND
    per_second = {
        Figure.LAMBDA_CONCURRENCY: world.fig.concurrency,
        Figure.LAMBDA_INVOCATIONS: world.fig.invocations,
        Figure.LAMBDA_THROTTLES: world.fig.throttles,
        Figure.COLD_STARTS: world.fig.cold,
        Figure.DDB_CONSUMED_WCU: world.fig.wcu,
        Figure.DDB_CONSUMED_RCU: world.fig.rcu,
        Figure.DDB_THROTTLED: world.fig.ddb_throttled,
        Figure.DDB_RETRIES: world.fig.ddb_retries,
        Figure.SQS_DEPTH: world.fig.sqs_depth,
    }
    if not on_demand:
        per_second[Figure.DDB_PROVISIONED_WCU] = world.fig.prov_wcu
        per_second[Figure.DDB_PROVISIONED_RCU] = world.fig.prov_rcu
    observable = {f.value for f in per_second}
    prov = make_provenance(
        target="model",
        backend=None,
        seed=seed,
        scale=scenario.scale,
        mode=mode.value,
        replications=runs,
        arrivals=scenario.traffic.arrivals_or(ArrivalProcess.POISSON).value,
    )
    b = ResultBuilder(scenario, system, ResultKind.PREDICTED, prov, observable=observable)
    f = world.fig
    n = math.ceil(scenario.duration_s)
    b.offered_series(f.offered[:n].tolist())
    for figure, values in per_second.items():
        b.figure_series(figure.value, values[:n].tolist())
    for ep, err, secs, lat, counts in world.sink.columns():
        b.record_columns(np.minimum(secs, n - 1), ep, lat, counts, err)
    b.throttles_by_cause = {k: int(v) for k, v in world.causes.items()}
    if world.faults.unmodelled:
        kinds = sorted({f"{f.kind.value}@{f.target}" for f in world.faults.unmodelled})
        b.notes.append(f"faults not modelled (SQS): {', '.join(kinds)}")
    if any(world.injected.values()):
        b.notes.append(
            "injected by faults: " + ", ".join(f"{k} {v:,}" for k, v in world.injected.items() if v)
        )
    b.notes.append(
        f"model mode={mode.value}; DynamoDB figures are the table's (GSIs provisioned alike); "
        "per-second series and latencies by arrival second"
    )
    return b


def interval_figures(summary: Summary) -> dict[str, float | None]:
    """The summary figures ``--runs`` reports a mean and 95 % interval for."""

    def p(name: str) -> float | None:
        v = getattr(summary.latency_ms, name)
        return None if v is None else float(v)

    tbc = summary.throttles_by_cause or {}
    figs: dict[str, float | None] = {
        "requests": float(summary.requests),
        "error_rate": summary.error_rate,
        "errors.throttled": float(summary.errors.throttled),
        "errors.server": float(summary.errors.server),
        "errors.timeout": float(summary.errors.timeout),
        "throughput_per_s": summary.throughput_per_s,
        "latency_ms.p50": p("p50"),
        "latency_ms.p95": p("p95"),
        "latency_ms.p99": p("p99"),
        "latency_ms.max": p("max"),
        "recovery_s": summary.recovery_s,
        "max_lambda_concurrency": summary.max_lambda_concurrency,
        "cold_start_fraction": summary.cold_start_fraction,
        "max_ddb_provisioned_wcu": summary.max_ddb_provisioned_wcu,
        "ddb_throttled": None if summary.ddb_throttled is None else float(summary.ddb_throttled),
        "max_sqs_depth": None if summary.max_sqs_depth is None else float(summary.max_sqs_depth),
    }
    for cause, v in tbc.items():
        figs[f"throttles_by_cause.{cause}"] = float(v)
    for ep, es in summary.endpoints.items():
        figs[f"endpoints.{ep}.latency_ms.p95"] = es.latency_ms.p95
        figs[f"endpoints.{ep}.latency_ms.p99"] = es.latency_ms.p99
    return figs


def _intervals(summaries: list[Summary]) -> dict[str, dict[str, float]]:
    per: dict[str, list[float]] = {}
    names: list[str] = []
    for s in summaries:
        for k, v in interval_figures(s).items():
            if k not in per:
                names.append(k)
                per[k] = []
            if v is not None:
                per[k].append(float(v))
    out: dict[str, dict[str, float]] = {}
    for k in names:
        vals = per[k]
        if len(vals) < 2:
            continue
        arr = np.asarray(vals)
        mean = float(arr.mean())
        half = _t975(len(arr) - 1) * float(arr.std(ddof=1)) / math.sqrt(len(arr))
        out[k] = {
            "mean": mean,
            "half_width": half,
            "low": mean - half,
            "high": mean + half,
            "n": float(len(arr)),
        }
    return out


def predict(
    scenario: Scenario,
    system: SystemConfig,
    *,
    seed: int | None = None,
    runs: int = 1,
    mode: Mode | str = Mode.FAST,
    progress: ProgressCallback | None = None,
    arrivals: ArrivalProcess | str | None = None,
    each: Callable[[int, RunResult], None] | None = None,
) -> RunResult:
    """Predict how ``system`` handles ``scenario``; a RunResult of kind ``predicted``.

    ``seed`` defaults to the scenario's; replication ``i`` uses ``seed + i``. With ``runs > 1``
    the result's series and summary are the first replication's and ``intervals`` holds the mean
    and 95 % confidence interval of each summary figure across replications. When the scenario's
    scale is not 1, the system is scaled by it too (rates and capacities; durations kept).
    ``progress`` receives the completed fraction (0..1) of all replications. ``arrivals``
    overrides the scenario's arrival process; both unset, arrivals are Poisson (production
    traffic; a prediction of a k6 run passes ``even``). The result's scenario and provenance
    record the process used. ``each`` receives every replication's own result (its index
    and the result), for callers that judge each replication's series.
    """
    try:
        mode = Mode(mode)
    except ValueError:
        raise InputError(f"mode: expected 'fast' or 'exact', got {mode!r}") from None
    if runs < 1:
        raise InputError(f"runs: expected >= 1, got {runs}")
    if arrivals is not None:
        try:
            scenario = scenario.with_arrivals(ArrivalProcess(arrivals))
        except ValueError:
            raise InputError(f"arrivals: expected 'poisson' or 'even', got {arrivals!r}") from None
    scenario = scenario.with_arrivals(scenario.traffic.arrivals_or(ArrivalProcess.POISSON))
    base_seed = scenario.seed if seed is None else seed
    if base_seed + runs - 1 > MAX_SEED:
        raise InputError(f"runs: seeds {base_seed}..{base_seed + runs - 1} go past {MAX_SEED}")
    sim_system = scale_system(system, scenario.scale) if scenario.scale != 1 else system
    first: ResultBuilder | None = None
    summaries: list[Summary] = []
    replicates: dict[str, list[float | None]] = {}
    for i in range(runs):

        def sub(frac: float, i: int = i) -> None:
            if progress is not None:
                progress((i + frac) / runs)

        world = simulate(scenario, sim_system, seed=base_seed + i, mode=mode, progress=sub)
        b = _build(world, scenario, system, seed=base_seed + i, mode=mode, runs=runs)
        if first is None:
            first = b
        if runs > 1:
            built = b.build()
            if each is not None:
                each(i, built)
            summaries.append(built.summary)
            for key, v in result_figures(built).items():
                replicates.setdefault(key, []).append(v)
    assert first is not None
    if runs > 1:
        first.provenance = first.provenance.model_copy(update={"seed": base_seed})
        first.notes.append(
            f"{runs} replications, seeds {base_seed}..{base_seed + runs - 1}; "
            "series from the first; intervals: mean and 95 % CI per figure"
        )
    if runs == 1:
        only = first.build()
        if each is not None:
            each(0, only)
        return only
    result = first.build(intervals=_intervals(summaries))
    return result.model_copy(update={"replicates": replicates})
