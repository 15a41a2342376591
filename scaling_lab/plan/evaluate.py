"""One trial of a candidate configuration: predict the scenario on the system with the
candidate's overrides for one seed, and keep what the plan needs (pure; picklable, so a
process pool or a Dask worker can run it)."""

from __future__ import annotations

from dataclasses import dataclass

from scaling_lab.aws.prices import PRICE_TABLE
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import DynamoDBMode, SystemConfig
from scaling_lab.system.overrides import apply_overrides

__all__ = ["HOURS_PER_MONTH", "Trial", "TrialSpec", "run_trial", "standing_monthly_usd"]

#: 365 days x 24 h / 12 months: how a month of standing capacity is counted.
HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class TrialSpec:
    scenario: Scenario
    system: SystemConfig  # the base system (the plan's fixed --set already applied)
    overrides: tuple[str, ...]  # the candidate's --set strings
    seed: int
    mode: str = "fast"


@dataclass(frozen=True)
class Trial:
    overrides: tuple[str, ...]
    seed: int
    passed: bool  # the scenario's thresholds and recovery SLO
    error_rate: float | None
    p95_ms: float | None  # POST /v1/events (all requests when the mix has no POST)
    first_limit: str | None  # the first hard limit reached, if any
    per_million_usd: float | None  # cost per 1M accepted events at list prices (the run's)


def standing_monthly_usd(system: SystemConfig) -> float:
    """A month of the configuration's standing DynamoDB capacity: the provisioned units (the
    auto-scaling minimum when auto scaling is on) x 730 h at the price table's WCU/RCU-hour.
    On-demand tables have no standing charge. Provisioned concurrency has no price in the
    table and is not counted (the plan says so)."""
    ddb = system.dynamodb
    if ddb.mode is DynamoDBMode.ON_DEMAND:
        return 0.0
    total = 0.0
    for cap, key in ((ddb.write, "ddb_wcu_hour"), (ddb.read, "ddb_rcu_hour")):
        if cap is None:
            continue
        auto = cap.auto_scaling
        units = auto.min if auto is not None and auto.enabled else cap.provisioned
        total += units * HOURS_PER_MONTH * PRICE_TABLE[key].usd
    return total


def run_trial(spec: TrialSpec) -> Trial:
    """Predict one seed of one candidate."""
    from scaling_lab.cost import estimate_cost
    from scaling_lab.model import predict
    from scaling_lab.report.analysis import find_saturations

    system = apply_overrides(spec.system, spec.overrides)
    result = predict(spec.scenario, system, seed=spec.seed, mode=spec.mode)
    s = result.summary
    passed = s.thresholds_passed is not False and (s.recovery is None or s.recovery.recovered)
    post = s.endpoints.get("post_events")
    p95 = post.latency_ms.p95 if post is not None else s.latency_ms.p95
    hard = [x for x in find_saturations(result) if x.hard]
    return Trial(
        overrides=spec.overrides,
        seed=spec.seed,
        passed=bool(passed),
        error_rate=s.error_rate,
        p95_ms=p95,
        first_limit=hard[0].limit if hard else None,
        per_million_usd=estimate_cost(result).per_million_events_usd,
    )
