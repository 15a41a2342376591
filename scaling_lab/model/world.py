"""The simulated system's state, shared by both modes: Lambda pool, DynamoDB pools, SQS, front
door, and the per-second figures and latency sink they feed.

Each rule's source is cited where its number lives (scaling_lab/system/models.py for defaults,
scaling_lab/model/capacity.py and retry.py for DynamoDB and the SDK).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from scaling_lab.model.capacity import (
    AutoScaler,
    BurstBucket,
    OnDemandLimiter,
    TokenBucket,
    read_units,
    update_units,
    write_units,
)
from scaling_lab.model.faults import FaultPlan
from scaling_lab.model.recording import Figures, LatencySink
from scaling_lab.model.retry import RetryPolicy, RetryQuotaPool
from scaling_lab.result.models import ErrorClass
from scaling_lab.scenario.models import Endpoint, Scenario
from scaling_lab.system.models import (
    CapacitySettings,
    DynamoDBMode,
    FrontDoorKind,
    RetryMode,
    ScalingRule,
    SystemConfig,
)

__all__ = [
    "CAUSES",
    "DDB_THROTTLED_CALL_MS",
    "REJECT_MS",
    "DdbPool",
    "Figures",
    "LambdaPool",
    "LatencySink",
    "SqsQueue",
    "Streams",
    "World",
]

# ASSUMPTION: a rejected request (429 from the front door or Lambda) answers in 5 ms, and a
# throttled DynamoDB call (ProvisionedThroughputExceededException) takes 4 ms before the SDK
# sleeps; neither is documented, both are small next to the backoff. Calibrate from runs.
REJECT_MS = 5.0
DDB_THROTTLED_CALL_MS = 4.0

CAUSES = (
    "front_door",
    "lambda_concurrency",
    "lambda_scaling_rate",
    "lambda_request_rate",
    "dynamodb_retries_exhausted",
    "lambda_timeout",
)


@dataclass
class Streams:
    """Independent random streams of one replication, so both modes draw the same arrivals,
    service times and cold starts for a seed (common random numbers)."""

    arrivals: np.random.Generator
    service: np.random.Generator
    cold: np.random.Generator
    misc: np.random.Generator  # placement within a millisecond, jitter, tie races

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        ss = np.random.SeedSequence(seed).spawn(4)
        return cls(*(np.random.default_rng(s) for s in ss))


class LambdaPool:
    """Execution environments of one function.

    - concurrency cap: reserved concurrency if set, else the account limit; beyond it a
      synchronous invoke is throttled (429), never queued -- LAMBDA_SCALING_URL in models.py.
    - scaling rate (2023 rule): 1,000 new environments per 10 s per function, a token bucket
      refilled continuously that does not accumulate beyond 1,000; legacy rule: an initial
      burst (500/1,000/3,000) then +500 environments per minute.
    - request rate: at most ``rps_per_environment`` (10) x the concurrency cap per second;
      ASSUMPTION: enforced as a bucket holding one second of it.
    - provisioned concurrency: that many environments start warm and are never reclaimed;
      requests beyond them spill over to on-demand environments (cold start).
    - idle environments are reused most-recent-first (ASSUMPTION) and reclaimed after
      ``idle_reclaim_s``.
    """

    def __init__(self, system: SystemConfig) -> None:
        lam = system.lambda_
        self.cap = lam.concurrency_cap
        self.full_cap = self.cap
        self.provisioned = lam.provisioned_concurrency
        self.idle_reclaim_s = lam.idle_reclaim_s
        self.rule = lam.scaling.rule
        sc = lam.scaling
        self.scaling = TokenBucket(sc.envs_per_interval / sc.interval_s, sc.envs_per_interval)
        self.legacy_burst = sc.legacy_initial_burst
        self.legacy_per_minute = sc.legacy_per_minute
        self._legacy_hit_s: float | None = None
        rps = lam.rps_per_environment * self.cap
        self.rps = TokenBucket(rps, rps)
        self.busy = 0
        self.idle = self.provisioned
        # (idle since, count), oldest first; provisioned environments are not in it.
        self._idle_stack: deque[list[float]] = deque()
        self.envs = self.provisioned  # environments in existence (busy + idle)
        self.busy_area = 0.0  # integral of busy environments over time (environment-seconds)
        self._area_s = 0.0

    def touch(self, now_s: float) -> None:
        if now_s > self._area_s:
            self.busy_area += self.busy * (now_s - self._area_s)
            self._area_s = now_s

    def set_cap_factor(self, factor: float) -> None:
        """A throttle storm on Lambda: the concurrency cap times ``factor`` (1 to undo)."""
        self.cap = max(0, int(self.full_cap * factor))

    def _legacy_room(self, now_s: float) -> float:
        if self._legacy_hit_s is None:
            return self.legacy_burst - self.envs
        minutes = math.floor((now_s - self._legacy_hit_s) / 60.0)
        return self.legacy_burst + self.legacy_per_minute * minutes - self.envs

    def admit(self, now_s: float, n: int) -> tuple[int, int, int, int, int]:
        """Admit ``n`` arrivals: (warm, cold, throttled by concurrency, by scaling rate, by
        request rate)."""
        self.touch(now_s)
        ok = int(self.rps.take_up_to(now_s, n) + 1e-9)
        thr_rps = n - ok
        warm = ok if ok <= self.idle else self.idle
        if warm:
            self._take_idle(warm)
        need = ok - warm
        if need == 0:
            self.busy += warm
            return warm, 0, 0, 0, thr_rps
        room = self.cap - self.busy - warm
        by_cap = need if need <= room else max(room, 0)
        if self.rule is ScalingRule.RULE_2023:
            cold = int(self.scaling.take_up_to(now_s, by_cap) + 1e-9)
        else:
            lr = self._legacy_room(now_s)
            if by_cap > lr and self._legacy_hit_s is None:
                self._legacy_hit_s = now_s
                lr = self._legacy_room(now_s)
            cold = min(by_cap, max(int(lr), 0))
        self.busy += warm + cold
        self.envs += cold
        return warm, cold, need - by_cap, by_cap - cold, thr_rps

    def _take_idle(self, n: int) -> None:
        self.idle -= n
        stack = self._idle_stack
        while n and stack:
            top = stack[-1]
            if top[1] > n:
                top[1] -= n
                return
            n -= int(top[1])
            stack.pop()
        # the rest came from provisioned environments

    def release(self, now_s: float, n: int) -> None:
        if n <= 0:
            return
        self.touch(now_s)
        self.busy -= n
        self.idle += n
        stack = self._idle_stack
        if stack and stack[-1][0] == now_s:
            stack[-1][1] += n
        else:
            stack.append([now_s, n])

    def reclaim(self, now_s: float) -> None:
        """Drop on-demand environments idle for longer than ``idle_reclaim_s``."""
        stack = self._idle_stack
        limit = now_s - self.idle_reclaim_s
        floor_idle = max(0, self.provisioned - self.busy)
        while stack and stack[0][0] <= limit and self.idle > floor_idle:
            drop = min(int(stack[0][1]), self.idle - floor_idle)
            stack[0][1] -= drop
            self.idle -= drop
            self.envs -= drop
            if stack[0][1] <= 0:
                stack.popleft()


class DdbPool:
    """One DynamoDB capacity (table writes or reads): limiter, auto scaling and counters."""

    def __init__(
        self, system: SystemConfig, settings: CapacitySettings | None, *, write: bool
    ) -> None:
        ddb = system.dynamodb
        part_cap = ddb.initial_partitions * (ddb.partition_wcu if write else ddb.partition_rcu)
        self.scaler: AutoScaler | None = None
        self.limiter: BurstBucket | OnDemandLimiter
        # A table has at least the partitions its own throughput needs: the partition cap is
        # never below the warm (on-demand) or initially provisioned throughput.
        if ddb.mode is DynamoDBMode.ON_DEMAND or settings is None:
            warm = ddb.on_demand_warm_wcu if write else ddb.on_demand_warm_rcu
            self.limiter = OnDemandLimiter(warm, partition_cap=max(part_cap, warm))
            self.provisioned: float | None = None
        else:
            self.limiter = BurstBucket(
                settings.provisioned,
                window_s=ddb.burst_window_s,
                partition_cap=max(part_cap, settings.provisioned),
            )
            self.provisioned = settings.provisioned
            if settings.auto_scaling is not None and settings.auto_scaling.enabled:
                self.scaler = AutoScaler(settings.auto_scaling, settings.provisioned)
        self.base = settings.provisioned if settings is not None else 0.0
        self.factor = 1.0
        self.consumed = 0.0  # this second
        self.throttled = 0  # attempts, this second

    def available(self, now_s: float) -> float:
        return self.limiter.available(now_s)

    def take(self, now_s: float, units: float) -> None:
        """Consume ``units`` already known to be available."""
        self.limiter.take_up_to(now_s, units)
        self.consumed += units
        if self.scaler is not None:
            self.scaler.consume(units)

    def housekeeping(self, now_s: float, factor: float = 1.0) -> None:
        """Auto scaling decisions, and a throttle storm's ``factor`` on the capacity."""
        if isinstance(self.limiter, BurstBucket):
            base = self.scaler.advance(now_s) if self.scaler is not None else self.base
            p = base * factor
            if p != self.limiter.provisioned:
                self.limiter.set_provisioned(now_s, p)
                self.provisioned = p
        elif factor != self.factor:
            lim = self.limiter.limit * factor
            self.limiter.bucket.reconfigure(now_s, lim, lim)
        self.factor = factor


class SqsQueue:
    """Standard queue depth and its event source mapping, as a one-second fluid step.

    Lambda starts with ``initial_pollers`` (5) concurrent batches and adds up to
    ``scale_per_minute`` (300) concurrent executions per minute while messages wait, up to
    ``max_concurrency`` (1,250) -- SQS_ESM_URL in scaling_lab/system/models.py. ASSUMPTION:
    the increase is spread evenly over the minute; each batch takes the consumer's mean time.
    """

    def __init__(self, system: SystemConfig) -> None:
        c = system.sqs.consumer
        self.batch_size = c.batch_size
        self.per_s = c.scale_per_minute / 60.0
        self.max = float(c.max_concurrency)
        self.pollers = float(c.initial_pollers)
        self.initial = float(c.initial_pollers)
        self.batch_s = c.service_time_ms.mean_ms() / 1000.0
        self.depth = 0.0

    def step(self, enqueued: float) -> float:
        self.depth += enqueued
        done = min(self.depth, self.pollers * self.batch_size / self.batch_s)
        self.depth -= done
        if self.depth > 0:
            self.pollers = min(self.max, self.pollers + self.per_s)
        else:
            self.pollers = max(self.initial, self.pollers - self.per_s)
        return self.depth


class World:
    """Everything the model simulates for one replication."""

    def __init__(self, scenario: Scenario, system: SystemConfig) -> None:
        self.scenario = scenario
        self.system = system
        self.fractions = scenario.mix.fractions()
        self.endpoints = list(self.fractions)
        self.lam = LambdaPool(system)
        ddb = system.dynamodb
        self.write_pool = DdbPool(system, ddb.write, write=True)
        self.read_pool = DdbPool(system, ddb.read, write=False)
        self.pool_of = {
            Endpoint.POST_EVENTS: self.write_pool,
            Endpoint.ACK: self.write_pool,
            Endpoint.GET_INBOX: self.read_pool,
        }
        self.units = {ep: self.mean_units(ep) for ep in Endpoint}
        fd = system.front_door
        # API Gateway account bucket: 10,000 req/s, burst 5,000 -- APIGW_THROTTLE_URL
        self.front_door: TokenBucket | None = (
            TokenBucket(fd.rate_per_s, fd.burst) if fd.kind is FrontDoorKind.API_GATEWAY else None
        )
        # Behind an API Gateway proxy integration a Lambda throttle reaches the client as 500.
        self.lambda_throttle_class = (
            ErrorClass.SERVER if fd.kind is FrontDoorKind.API_GATEWAY else ErrorClass.THROTTLED
        )
        self.sqs = SqsQueue(system)
        self.policy = RetryPolicy.from_sdk(system.sdk)
        self.quota: RetryQuotaPool | None = (
            RetryQuotaPool(max(1, self.lam.envs))
            if system.sdk.retry_mode is RetryMode.STANDARD
            else None
        )
        self.timeout_ms = system.lambda_.timeout_s * 1000.0
        self.seconds = math.ceil(scenario.duration_s)
        self.fig = Figures(self.seconds)
        self.sink = LatencySink()
        self.causes: dict[str, int] = dict.fromkeys(CAUSES, 0)
        self.faults = FaultPlan(scenario.faults)
        self.injected: dict[str, int] = {"lambda_errors": 0, "dynamodb_errors": 0}
        if self.faults.any:  # a storm may start at 0
            ddb_factor, lambda_factor = self.faults.storm(0.0)
            self.lam.set_cap_factor(lambda_factor)
            self.write_pool.housekeeping(0.0, ddb_factor)
            self.read_pool.housekeeping(0.0, ddb_factor)
        self._area_mark = 0.0

    def mean_units(self, ep: Endpoint) -> float:
        """Mean capacity units one request of ``ep`` consumes (payload sizes uniform)."""
        ddb = self.system.dynamodb
        pl = self.scenario.payload.size_bytes
        sizes = np.arange(pl.min, pl.max + 1) + ddb.item_overhead_bytes
        if ep is Endpoint.POST_EVENTS:
            # The table's own units gate the write; GSIs are assumed provisioned like the
            # table, so with projection 'all' they throttle together (one pool, table units).
            return float(np.mean([write_units(int(s)) for s in sizes]))
        if ep is Endpoint.ACK:
            return float(np.mean([update_units(int(s)) for s in sizes]))
        page = self.scenario.inbox.page_limit
        mean_item = float(np.mean(sizes))
        return read_units(int(page * mean_item), ddb.eventually_consistent_reads)

    def housekeeping(self, now_s: float, sec: int) -> None:
        """Once per simulated second: gauges of second ``sec`` (ending at ``now_s``), then
        reclaim, auto scaling and faults that take effect from ``now_s``."""
        self.lam.touch(now_s)
        if 0 <= sec <= self.seconds:
            self.fig.busy_mean[sec] += self.lam.busy_area - self._area_mark
        self._area_mark = self.lam.busy_area
        if 0 <= sec <= self.seconds:
            f = self.fig
            f.wcu[sec] += self.write_pool.consumed
            f.rcu[sec] += self.read_pool.consumed
            f.ddb_throttled[sec] += self.write_pool.throttled + self.read_pool.throttled
            f.prov_wcu[sec] = self.write_pool.provisioned or 0.0
            f.prov_rcu[sec] = self.read_pool.provisioned or 0.0
            f.sqs_depth[sec] = self.sqs.step(f.enqueued[sec])
        self.lam.reclaim(now_s)
        ddb_factor, lambda_factor = self.faults.storm(now_s) if self.faults.any else (1.0, 1.0)
        self.lam.set_cap_factor(lambda_factor)
        self.write_pool.housekeeping(now_s, ddb_factor)
        self.read_pool.housekeeping(now_s, ddb_factor)
        if self.quota is not None:
            self.quota.set_clients(self.lam.envs)
        self.write_pool.consumed = self.read_pool.consumed = 0.0
        self.write_pool.throttled = self.read_pool.throttled = 0
