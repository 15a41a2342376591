"""Drive one AWS rule through every engine: the model's fast and exact modes and the governor.

Closed-form tests (test_aws_rules.py) build a scenario and a system in which only the rule
under test can bind, run it here, and compare what came out with the number a formula gives.
The governor has no simulated time of its own, so :func:`governor_lambda` and
:func:`governor_writes` feed it an arrival sequence on a fake clock, with a small event loop
for invocations finishing; what it admits or refuses is the governor's own code path (the
gate's and the DynamoDB hook's calls into it).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emulator.app.settings import AppSettings
from emulator.governor import Governor, GovernorSettings
from scaling_lab.aws import ThrottleCause
from scaling_lab.model import simulate
from scaling_lab.model.arrivals import TICK_S, tick_arrivals
from scaling_lab.model.world import World
from scaling_lab.scenario.models import ArrivalProcess, Fault, Scenario
from scaling_lab.system.models import SystemConfig

MODES = ("fast", "exact")
EPOCH = 1_000_000.0  # the governor's fake wall clock at run time 0


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = (
            deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def rule_system(
    service_ms: float = 20.0, *, service: dict[str, Any] | None = None, **over: Any
) -> SystemConfig:
    """A system where nothing binds unless ``over`` sets it: huge account concurrency and
    scaling allowance, no cold start (1 ms, the engines' floor), constant service (or the
    distribution ``service``), an on-demand table far above any load."""
    dist = service or {"dist": "constant", "value_ms": service_ms}
    base: dict[str, Any] = {
        "name": "rule",
        "lambda": {
            "account_concurrency": 100_000,
            "scaling": {"envs_per_interval": 100_000},
            "cold_start_ms": {"dist": "constant", "value_ms": 0},
            "service_time_ms": {"post_events": dist, "get_inbox": dist, "ack": dist},
            "timeout_s": "60s",
        },
        "dynamodb": {
            "mode": "on_demand",
            "on_demand_warm_wcu": 1e9,
            "on_demand_warm_rcu": 1e9,
            "partitions": 1,
            "partition_wcu": 1e9,
            "partition_rcu": 1e9,
        },
    }
    return SystemConfig.model_validate(deep_merge(base, over))


def step_scenario(
    stages: Sequence[tuple[str, float]],
    *,
    start_rate: float | None = None,
    arrivals: ArrivalProcess = ArrivalProcess.POISSON,
    keys: dict[str, Any] | None = None,
) -> Scenario:
    """Instant steps: ``[(duration, rate), ...]`` (POST /v1/events only, 1 WCU per event),
    spread over the tenants ``keys`` says (default: one)."""
    first = stages[0][1] if start_rate is None else start_rate
    return Scenario.model_validate(
        {
            "name": "rule",
            "traffic": {
                "start_rate": first,
                "arrivals": arrivals.value,
                "stages": [{"duration": d, "target": r, "ramp": "step"} for d, r in stages],
            },
            "payload": {"size_bytes": {"min": 500, "max": 800}},
            "keys": keys or {},
        }
    )


def tenant_keys(scenario: Scenario, n: int, seed: int = 3) -> list[str]:
    """A partition key value per arrival, drawn with the scenario's tenant shares."""
    shares = scenario.keys.shares()
    idx = np.random.default_rng(seed).choice(len(shares), size=n, p=shares)
    return [f"|tenant-{i}" for i in idx]


@dataclass
class Outcome:
    """What one engine made of a run, in the engines' common terms."""

    offered: int
    causes: Counter[ThrottleCause]
    cold: int
    per_s: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def throttled(self) -> int:
        return sum(self.causes.values())


def model(scenario: Scenario, system: SystemConfig, mode: str, seed: int = 7) -> Outcome:
    w: World = simulate(scenario, system, seed=seed, mode=mode)
    f = w.fig
    return Outcome(
        offered=int(f.offered.sum()),
        causes=Counter({k: v for k, v in w.causes.items() if v}),
        cold=int(f.cold.sum()),
        per_s={
            "offered": f.offered,
            "concurrency": f.concurrency,
            "wcu": f.wcu,
            "prov_wcu": f.prov_wcu,
            "ddb_throttled": f.ddb_throttled,
            "throttles": f.throttles,
        },
    )


def arrival_times(scenario: Scenario, seed: int = 7) -> np.ndarray:
    """The scenario's arrivals as times (s): the ticks the model uses, at their start."""
    a = next(iter(tick_arrivals(scenario, np.random.default_rng(seed)).values()))
    return np.repeat(a.ticks, a.counts) * TICK_S


class _Clock:
    def __init__(self) -> None:
        self.t = EPOCH

    def __call__(self) -> float:
        return self.t


def make_governor(system: SystemConfig, faults: Sequence[Fault] = ()) -> tuple[Governor, _Clock]:
    clock = _Clock()
    app = AppSettings(
        cursor_secret="x" * 32,
        dynamodb_endpoint="http://127.0.0.1:9",
        sqs_endpoint="http://127.0.0.1:9",
    )
    g = Governor(system, GovernorSettings(publish=False), app, clock=clock)
    g.start(EPOCH, faults=list(faults))
    return g, clock


def governor_lambda(
    system: SystemConfig,
    times: Sequence[float] | np.ndarray,
    service_s: Callable[[int], float],
    *,
    cold_s: float = 0.001,
    faults: Sequence[Fault] = (),
) -> Outcome:
    """Arrivals at ``times`` (run seconds, ascending) through the gate's calls into the
    governor: the front door, then Lambda admission; an admitted invocation finishes after
    its cold start (if any) and ``service_s(i)``. ``faults`` are the governor's timeline,
    brought up to date at each whole second (as its ticker does)."""
    g, clock = make_governor(system, faults)
    synced = -1
    done: list[float] = []
    causes: Counter[ThrottleCause] = Counter()
    cold = 0
    n_s = int(max(times[-1], 0.0)) + 2 if len(times) else 1
    conc = np.zeros(n_s)
    offered = np.zeros(n_s)
    refused = np.zeros(n_s)
    for i, t in enumerate(times):
        sec = int(t)
        offered[sec] += 1
        now = EPOCH + float(t)
        if faults and sec > synced:
            synced = sec
            while done and done[0] <= EPOCH + sec:  # what ended before the second began
                clock.t = heapq.heappop(done)
                g.release_lambda(clock.t)
            g.sync(EPOCH + sec)
        while done and done[0] <= now:
            clock.t = heapq.heappop(done)
            g.release_lambda(clock.t)
        clock.t = now
        if not g.front_door_admit(now):
            causes[ThrottleCause.FRONT_DOOR] += 1
            refused[sec] += 1
            continue
        adm = g.admit_lambda(now)
        if adm.cause is not None:
            causes[adm.cause] += 1
            refused[sec] += 1
            continue
        cold += adm.cold
        heapq.heappush(done, now + service_s(i) + (cold_s if adm.cold else 0.0))
        conc[sec] = max(conc[sec], g.pool.busy)
    return Outcome(
        offered=len(times),
        causes=causes,
        cold=cold,
        per_s={"concurrency": conc, "offered": offered, "throttles": refused},
    )


def governor_writes(
    system: SystemConfig,
    times: Sequence[float] | np.ndarray,
    units: float = 1.0,
    *,
    admin: Any = None,
    keys: Sequence[str] | None = None,
    retry_s: float | None = None,
) -> Outcome:
    """Writes of ``units`` WCU at ``times`` through the DynamoDB hook's call into the
    governor (no SDK retry: a refused write is counted and dropped). With ``admin`` (an
    UpdateTable double) the auto-scaling ticker runs once per second as in the stack."""
    g, clock = make_governor(system)
    n_s = int(max(times[-1], 0.0)) + 2 if len(times) else 1
    served = np.zeros(n_s)
    refused = np.zeros(n_s)
    prov = np.zeros(n_s)
    next_tick = 1
    order = [(float(t), i) for i, t in enumerate(times)]
    heapq.heapify(order)
    while order:
        t, i = heapq.heappop(order)
        while admin is not None and next_tick <= t:
            clock.t = EPOCH + next_tick
            g._step_autoscaling(admin, clock.t)  # what the ticker does every second
            prov[next_tick] = g.capacity.table_wcu or 0.0
            next_tick += 1
        now = EPOCH + float(t)
        clock.t = now
        sec = int(t)
        if sec >= n_s:
            continue
        if g.try_consume_write(units, now, None if keys is None else keys[i]):
            served[sec] += units
        else:
            refused[sec] += 1
            if retry_s is not None:  # a client that keeps trying (demand stays above)
                heapq.heappush(order, (t + retry_s, i))
    return Outcome(
        offered=len(times),
        causes=Counter(),
        cold=0,
        per_s={"wcu": served, "ddb_throttled": refused, "prov_wcu": prov},
    )


class FakeDynamoDBAdmin:
    """UpdateTable/DescribeTable double for the governor's auto-scaling ticker."""

    def __init__(self, wcu: float, rcu: float) -> None:
        self.throughput = {"WriteCapacityUnits": int(wcu), "ReadCapacityUnits": int(rcu)}
        self.updates: list[dict[str, Any]] = []

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {
            "Table": {
                "TableName": TableName,
                "ProvisionedThroughput": dict(self.throughput),
                "BillingModeSummary": {"BillingMode": "PROVISIONED"},
            }
        }

    def update_table(self, **kwargs: Any) -> None:
        self.updates.append(kwargs)
        self.throughput.update(kwargs["ProvisionedThroughput"])


def fluid_ramp_throttles(rate: float, service_s: float, start_envs: float, per_s: float) -> float:
    """Requests refused while environments ramp from ``start_envs`` at ``per_s`` to the
    ``rate * service_s`` a step to ``rate`` needs (each environment serves 1/service_s per
    second): the integral of ``rate - E(t) / service_s`` until ``E(T) = rate * service_s``.
    ``T = (rate * service_s - start_envs) / per_s`` and the integral is
    ``rate T - (start_envs T + per_s T^2 / 2) / service_s``."""
    need = rate * service_s
    if need <= start_envs:
        return 0.0
    t_end = (need - start_envs) / per_s
    return rate * t_end - (start_envs * t_end + per_s * t_end**2 / 2.0) / service_s
