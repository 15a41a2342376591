"""What the data say: latency vs targets per endpoint, utilisation, and which limit saturated
first and when (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from scaling_lab.result.models import RunResult, SecondSample
from scaling_lab.result.series import max_present
from scaling_lab.scenario.thresholds import parse_threshold

__all__ = [
    "EndpointTargets",
    "Limit",
    "Saturation",
    "Utilisation",
    "endpoint_targets",
    "find_saturations",
    "utilisation",
]


_LAT_KEYS = {"p(50)": "p50", "med": "p50", "p(95)": "p95", "p(99)": "p99", "max": "max"}


@dataclass
class EndpointTargets:
    """One endpoint's latency figures, the scenario's targets for them, and their status."""

    endpoint: str
    requests: int
    figures: dict[str, float | None]  # p50 p95 p99 max (ms), error_rate
    targets: dict[str, str] = field(default_factory=dict)  # figure -> "< 100 ms"
    status: dict[str, bool | None] = field(default_factory=dict)  # figure -> pass/fail/None

    @property
    def passed(self) -> bool | None:
        verdicts = list(self.status.values())
        if not verdicts:
            return None
        if any(v is False for v in verdicts):
            return False
        return True if all(v is True for v in verdicts) else None


def endpoint_targets(result: RunResult) -> list[EndpointTargets]:
    """Per endpoint (and ``all`` when the scenario sets targets on it)."""
    s = result.summary
    rows: dict[str, EndpointTargets] = {}
    for name, ep in s.endpoints.items():
        rows[name] = EndpointTargets(
            name,
            ep.requests,
            {
                "p50": ep.latency_ms.p50,
                "p95": ep.latency_ms.p95,
                "p99": ep.latency_ms.p99,
                "max": ep.latency_ms.max,
                "error_rate": ep.error_rate,
            },
        )
    for v in s.thresholds:
        if v.endpoint not in rows:
            if v.endpoint != "all":
                rows[v.endpoint] = EndpointTargets(v.endpoint, 0, {})
            else:
                rows["all"] = EndpointTargets(
                    "all",
                    s.requests,
                    {
                        "p50": s.latency_ms.p50,
                        "p95": s.latency_ms.p95,
                        "p99": s.latency_ms.p99,
                        "max": s.latency_ms.max,
                        "error_rate": s.error_rate,
                    },
                )
        th = parse_threshold(v.expression)
        key = "error_rate" if th.aggregation == "rate" else _LAT_KEYS.get(th.method, th.method)
        unit = "" if key == "error_rate" else " ms"
        value = f"{th.value:.2%}" if key == "error_rate" else f"{th.value:g}"
        rows[v.endpoint].targets[key] = f"{th.operator} {value}{unit}"
        if key not in rows[v.endpoint].figures:
            rows[v.endpoint].figures[key] = v.observed
        rows[v.endpoint].status[key] = v.passed
    return list(rows.values())


class Limit(StrEnum):
    """Which limit a :class:`Saturation` is (its ``limit`` text is for display only)."""

    LAMBDA_CONCURRENCY = "lambda_concurrency"
    LAMBDA_THROTTLING = "lambda_throttling"
    DDB_WRITE_CAPACITY = "ddb_write_capacity"
    DDB_READ_CAPACITY = "ddb_read_capacity"
    DDB_WRITE_SCALING_TARGET = "ddb_write_scaling_target"
    DDB_READ_SCALING_TARGET = "ddb_read_scaling_target"
    DDB_THROTTLING = "ddb_throttling"
    LOAD_GENERATOR = "load_generator"
    LATENCY_TARGET = "latency_target"


@dataclass(frozen=True)
class Saturation:
    """A limit that was reached: from ``first_s`` for ``seconds`` seconds (scenario time)."""

    kind: Limit
    limit: str  # display text
    first_s: int
    last_s: int
    seconds: int
    peak: float | None
    capacity: float | None
    detail: str
    hard: bool = True  # a capacity limit; False for a signal (auto scaling due, latency target)
    ratio: bool = False  # peak is a utilisation ratio

    @property
    def peak_text(self) -> str:
        if self.peak is None:
            return "-"
        return f"{self.peak:.0%}" if self.ratio else f"{self.peak:,.0f}"


@dataclass(frozen=True)
class Utilisation:
    name: str
    peak: float | None
    capacity: float | None
    unit: str
    note: str = ""

    @property
    def peak_pct(self) -> float | None:
        if self.peak is None or not self.capacity:
            return None
        return self.peak / self.capacity


def utilisation(result: RunResult) -> list[Utilisation]:
    s, series, system = result.summary, result.series, result.effective_system()
    lam = system.lambda_
    out = [
        Utilisation(
            "Lambda concurrency",
            s.max_lambda_concurrency,
            float(lam.concurrency_cap),
            "environments",
            f"cap: {'reserved' if lam.reserved_concurrency is not None else 'account'} "
            f"concurrency; provisioned {lam.provisioned_concurrency}",
        ),
    ]
    for unit in ("wcu", "rcu"):
        consumed = max_present([getattr(x, f"ddb_consumed_{unit}") for x in series])
        prov = max_present([getattr(x, f"ddb_provisioned_{unit}") for x in series])
        if prov is None and system.dynamodb.mode.value == "provisioned":
            cap = system.dynamodb.write if unit == "wcu" else system.dynamodb.read
            prov = cap.provisioned if cap is not None else None
        out.append(
            Utilisation(
                f"DynamoDB {unit.upper()} (consumed per second)",
                consumed,
                prov,
                unit.upper(),
                "against the highest provisioned level"
                if system.dynamodb.mode.value == "provisioned"
                else "on-demand",
            )
        )
    out.append(
        Utilisation(
            "SQS queue depth",
            None if s.max_sqs_depth is None else float(s.max_sqs_depth),
            None,
            "messages",
        )
    )
    if system.front_door.kind.value == "api_gateway":
        peak = max_present([x.offered for x in series])
        out.append(
            Utilisation(
                "API Gateway request rate (offered)",
                peak,
                system.front_door.rate_per_s,
                "req/s",
                f"burst {system.front_door.burst:,}",
            )
        )
    return out


Check = Callable[[SecondSample], tuple[bool, float | None]]


def _runs_of(series: Sequence[SecondSample], check: Check) -> tuple[list[int], float | None]:
    hits: list[int] = []
    peak: float | None = None
    for x in series:
        hit, value = check(x)
        if hit:
            hits.append(x.t_s)
            if value is not None:
                peak = value if peak is None else max(peak, value)
    return hits, peak


def find_saturations(result: RunResult) -> list[Saturation]:
    """Every limit that was reached during the run, ordered by when it was first reached."""
    series = result.series
    system = result.effective_system()
    cap = float(system.lambda_.concurrency_cap)
    found: list[Saturation] = []

    def add(
        kind: Limit,
        limit: str,
        check: Check,
        capacity: float | None,
        detail: str,
        *,
        hard: bool = True,
        ratio: bool = False,
    ) -> None:
        hits, peak = _runs_of(series, check)
        if hits:
            found.append(
                Saturation(
                    kind, limit, hits[0], hits[-1], len(hits), peak, capacity, detail, hard, ratio
                )
            )

    add(
        Limit.LAMBDA_CONCURRENCY,
        "Lambda concurrency cap",
        lambda x: (
            x.lambda_concurrency is not None and x.lambda_concurrency >= 0.95 * cap,
            x.lambda_concurrency,
        ),
        cap,
        f"concurrency at or above 95 % of the cap ({cap:,.0f})",
    )
    add(
        Limit.LAMBDA_THROTTLING,
        "Lambda throttling (429)",
        lambda x: (
            bool(x.lambda_throttles) or bool(x.errors and x.errors.throttled),
            float(x.lambda_throttles or (x.errors.throttled if x.errors else 0)),
        ),
        None,
        "requests rejected with 429 (concurrency cap or scaling rate)",
    )
    for unit, label, capacity_kind, target_kind in (
        ("wcu", "write", Limit.DDB_WRITE_CAPACITY, Limit.DDB_WRITE_SCALING_TARGET),
        ("rcu", "read", Limit.DDB_READ_CAPACITY, Limit.DDB_READ_SCALING_TARGET),
    ):

        def ddb_check(x: SecondSample, u: str = unit) -> tuple[bool, float | None]:
            used = getattr(x, f"ddb_consumed_{u}")
            prov = getattr(x, f"ddb_provisioned_{u}")
            if used is None or prov is None or prov <= 0:
                return False, None
            return used >= prov, used / prov

        add(
            capacity_kind,
            f"DynamoDB provisioned {label} capacity",
            ddb_check,
            None,
            f"consumed {unit.upper()} at or above the provisioned level (burst credit in use)",
            ratio=True,
        )
        as_cfg = system.dynamodb.write if unit == "wcu" else system.dynamodb.read
        target = (
            as_cfg.auto_scaling.target_utilization_pct / 100.0
            if as_cfg is not None and as_cfg.auto_scaling is not None
            else None
        )
        if target is not None:

            def target_check(
                x: SecondSample, u: str = unit, t: float = target
            ) -> tuple[bool, float | None]:
                used = getattr(x, f"ddb_consumed_{u}")
                prov = getattr(x, f"ddb_provisioned_{u}")
                if used is None or prov is None or prov <= 0:
                    return False, None
                return used / prov > t, used / prov

            add(
                target_kind,
                f"DynamoDB auto scaling target ({label})",
                target_check,
                target,
                f"utilisation above the {target:.0%} target: auto scaling is due to act",
                hard=False,
                ratio=True,
            )
    add(
        Limit.DDB_THROTTLING,
        "DynamoDB throttling",
        lambda x: (
            bool(x.ddb_throttled),
            None if x.ddb_throttled is None else float(x.ddb_throttled),
        ),
        None,
        "DynamoDB requests throttled (retried by the SDK, holding the Lambda busy)",
    )
    add(
        Limit.LOAD_GENERATOR,
        "Load generator",
        lambda x: (
            bool(x.dropped_iterations),
            None if x.dropped_iterations is None else float(x.dropped_iterations),
        ),
        None,
        "iterations dropped: the load generator could not keep the arrival rate",
    )
    latency_limit = _latency_limit(result)
    if latency_limit is not None:
        endpoint, th_value, expr = latency_limit

        def lat_check(x: SecondSample) -> tuple[bool, float | None]:
            sec = x.endpoints.get(endpoint) if endpoint != "all" else None
            p95 = sec.latency_ms.p95 if sec is not None else x.latency_ms.p95
            return (p95 is not None and p95 >= th_value), p95

        add(
            Limit.LATENCY_TARGET,
            f"Latency target ({endpoint} {expr})",
            lat_check,
            th_value,
            "seconds whose p95 broke the target",
            hard=False,
        )
    found.sort(key=lambda s: (s.first_s, s.limit))
    return found


def _latency_limit(result: RunResult) -> tuple[str, float, str] | None:
    """(endpoint, value, expression) of the scenario's p(95) target, recovery's first."""
    sc = result.scenario
    candidates: list[tuple[str, str]] = []
    if sc.recovery is not None:
        candidates += [(str(sc.recovery.endpoint), c) for c in sc.recovery.condition]
    for endpoint, exprs in sc.thresholds.items():
        candidates += [(str(endpoint), e) for e in exprs]
    for ep, expr in candidates:
        th = parse_threshold(expr)
        if th.aggregation == "p" and th.percentile == 95 and th.operator in ("<", "<="):
            return ep, th.value, expr
    return None
