"""The simulated system's state, shared by both modes: Lambda pool, DynamoDB pools, SQS, front
door, and the per-second figures and latency sink they feed.

Every AWS rule comes from the rulebook (:mod:`scaling_lab.aws`), where its source is cited;
this module only wires the rulebook's state machines together for one replication.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from scaling_lab.aws import (
    DDB_THROTTLED_CALL_MS,
    DYNAMODB_MAX_ITEM_BYTES,
    REJECT_MS,
    AutoScaler,
    BurstBucket,
    KeyLimits,
    LambdaEnvironments,
    OnDemandLimiter,
    RetryPolicy,
    RetryQuotaPool,
    SqsConsumerScaling,
    ThrottleCause,
    ThrottleReason,
    couple_on_demand,
    front_door_bucket,
    gsi_item_bytes,
    hot_keys,
    index_limiter,
    read_units,
    table_limiter,
    update_units,
    write_units,
)
from scaling_lab.errors import InputError
from scaling_lab.model.faults import FaultPlan
from scaling_lab.model.recording import Figures, LatencySink
from scaling_lab.result.models import ErrorClass
from scaling_lab.scenario.models import Endpoint, Scenario
from scaling_lab.system.indexes import INBOX_INDEX
from scaling_lab.system.models import (
    CapacitySettings,
    FrontDoorKind,
    GsiConfig,
    RetryMode,
    SystemConfig,
)

__all__ = [
    "DDB_THROTTLED_CALL_MS",
    "REJECT_MS",
    "DdbPool",
    "Figures",
    "LatencySink",
    "Streams",
    "World",
]


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


class DdbPool:
    """One DynamoDB capacity (table writes or reads): limiters, hot keys, auto scaling, counters.

    Writes need units on the table and on every index with capacity of its own (an index
    short of write capacity throttles the table write -- IndexWriteProvisionedThroughputExceeded),
    each index charged for the entry a request writes or deletes there (``index_units``, by
    endpoint, in the order of ``indexes``); indexes without settings of their own are
    provisioned and scaled like the table, and their entries are no larger than the item, so
    they run out no sooner and the table's limiter stands for them. Hot keys
    (:class:`scaling_lab.aws.KeyLimits`) cap each tracked tenant at one partition's limit.
    """

    def __init__(
        self,
        system: SystemConfig,
        settings: CapacitySettings | None,
        *,
        write: bool,
        key_shares: list[float] | None = None,
        key_on_index: bool = False,
        index_units: Callable[[GsiConfig], dict[Endpoint, float]] | None = None,
    ) -> None:
        ddb = system.dynamodb
        self.write = write
        self.scaler: AutoScaler | None = None
        self.limiter = table_limiter(ddb, settings, write=write)
        self.provisioned: float | None = None
        if isinstance(self.limiter, BurstBucket) and settings is not None:
            self.provisioned = settings.provisioned
            if settings.auto_scaling is not None and settings.auto_scaling.enabled:
                self.scaler = AutoScaler(settings.auto_scaling, settings.provisioned)
        self.indexes: list[BurstBucket | OnDemandLimiter] = []
        self.index_units: dict[Endpoint, list[float]] = {ep: [] for ep in Endpoint}
        if write:
            for g in ddb.gsis:
                if g.write is not None or g.warm_throughput is not None:
                    self.indexes.append(index_limiter(ddb, g, settings))
                    per_ep = index_units(g) if index_units is not None else {}
                    for ep in Endpoint:
                        self.index_units[ep].append(per_ep.get(ep, 0.0))
        self.index_bound = False  # the last refusal was an index's (engines set it)
        per_key = ddb.partition_wcu if write else ddb.partition_rcu
        self.keys = KeyLimits(key_shares, per_key) if key_shares else None
        self.key_reason = ThrottleReason.of(index=key_on_index, write=write, key_range=True)
        self.reasons: dict[ThrottleReason, int] = {}
        self.base = settings.provisioned if settings is not None else 0.0
        self.factor = 1.0
        self.consumed = 0.0  # this second
        self.throttled = 0  # attempts, this second

    def available(self, now_s: float) -> float:
        """Units the table can serve now (an index's capacity is asked for by ``servable``)."""
        return self.limiter.available(now_s)

    def index_need(self, cohorts: Iterable[tuple[int, Endpoint]]) -> list[float]:
        """Units each index with capacity of its own needs for ``(count, endpoint)`` cohorts."""
        need = [0.0] * len(self.indexes)
        for n, ep in cohorts:
            for i, u in enumerate(self.index_units[ep]):
                need[i] += n * u
        return need

    def servable(
        self, now_s: float, total: int, need: float, index_need: Sequence[float]
    ) -> tuple[int, bool]:
        """How many of ``total`` requests needing ``need`` table units (and ``index_need`` on
        the indexes) can be served now, each limiter's units spread evenly over the requests;
        and whether every limiter holds all it needs (then the count is ``total``)."""
        avail = self.limiter.available(now_s)
        full = avail >= need
        k = total if full else int(avail / (need / total) + 1e-9)
        self.index_bound = False
        for idx, n in zip(self.indexes, index_need, strict=True):
            if n <= 0:
                continue
            a = idx.available(now_s)
            if a < n:
                full = False
                j = int(a / (n / total) + 1e-9)
                if j < k:
                    k, self.index_bound = j, True
        return k, full

    def coupling(self, other: DdbPool) -> float:
        """Units of ``other``'s capacity a unit taken here takes too: an on-demand table's
        reads and writes share one capacity (:func:`scaling_lab.aws.couple_on_demand`)."""
        if isinstance(self.limiter, OnDemandLimiter):
            return self.limiter.coupling(other.limiter)
        return 0.0

    def admits_one(self, now_s: float, ep: Endpoint, units: float) -> bool:
        """Whether one request of ``ep`` needing ``units`` table units is served now."""
        ok = self.limiter.available(now_s) >= units - 1e-9
        self.index_bound = False
        if ok:
            for idx, u in zip(self.indexes, self.index_units[ep], strict=True):
                if u > 0 and idx.available(now_s) < u - 1e-9:
                    self.index_bound = True
                    return False
        return ok

    def take(self, now_s: float, units: float, index_units: Sequence[float] = ()) -> None:
        """Consume ``units`` of the table and ``index_units`` of each index, already known to
        be available."""
        self.limiter.take_up_to(now_s, units)
        for idx, u in zip(self.indexes, index_units, strict=False):
            if u:
                idx.take_up_to(now_s, u)
        self.consumed += units
        if self.scaler is not None:
            self.scaler.consume(units)

    def split(self, n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
        """Spread ``n`` new requests over the tracked keys: [(key, count)], key -1 for the
        untracked rest."""
        assert self.keys is not None
        out: list[tuple[int, int]] = []
        left, rest = n, 1.0
        for j, share in enumerate(self.keys.shares):
            if not left:
                break
            c = left if share >= rest - 1e-12 else int(rng.binomial(left, share / rest))
            if c:
                out.append((j, c))
            left -= c
            rest -= share
        if left:
            out.append((-1, left))
        return out

    def draw_key(self, rng: np.random.Generator) -> int:
        """The tracked key of one new request, or -1."""
        assert self.keys is not None
        u = float(rng.random())
        for j, share in enumerate(self.keys.shares):
            if u < share:
                return j
            u -= share
        return -1

    def refused(self, now_s: float, n: int, *, key_range: bool) -> None:
        """Count ``n`` throttled attempts with their reason."""
        self.throttled += n
        if key_range:
            reason = self.key_reason
        else:
            reason = ThrottleReason.of(index=self.index_bound, write=self.write, key_range=False)
        self.reasons[reason] = self.reasons.get(reason, 0) + n

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


class World:
    """Everything the model simulates for one replication."""

    def __init__(self, scenario: Scenario, system: SystemConfig) -> None:
        self.scenario = scenario
        self.system = system
        self.fractions = scenario.mix.fractions()
        self.endpoints = list(self.fractions)
        self.lam = LambdaEnvironments(system.lambda_)
        ddb = system.dynamodb
        largest = scenario.payload.size_bytes.max + ddb.item_overhead_bytes
        if largest > DYNAMODB_MAX_ITEM_BYTES:
            raise InputError(
                f"dynamodb.item_overhead_bytes: {ddb.item_overhead_bytes} bytes on top of "
                f"payload.size_bytes.max {scenario.payload.size_bytes.max} makes items of "
                f"{largest} bytes, over DynamoDB's {DYNAMODB_MAX_ITEM_BYTES}-byte item limit "
                "(the API answers 413, which a prediction does not model)"
            )
        shares = scenario.keys.shares()
        peak = scenario.peak_rate
        fr = scenario.mix.fractions()
        w_peak = peak * (fr.get(Endpoint.POST_EVENTS, 0.0) + fr.get(Endpoint.ACK, 0.0))
        r_peak = peak * fr.get(Endpoint.GET_INBOX, 0.0)
        self.units = {ep: self.mean_units(ep) for ep in Endpoint}
        w_hot = hot_keys(shares, w_peak * self.units[Endpoint.POST_EVENTS], ddb.partition_wcu)
        r_hot = hot_keys(shares, r_peak * self.units[Endpoint.GET_INBOX], ddb.partition_rcu)
        # The table is keyed by tenant; the inbox Query reads the ``inbox`` index (tenant).
        self.write_pool = DdbPool(
            system, ddb.write, write=True, key_shares=w_hot, index_units=self.index_units
        )
        self.read_pool = DdbPool(system, ddb.read, write=False, key_shares=r_hot, key_on_index=True)
        couple_on_demand(self.write_pool.limiter, self.read_pool.limiter)
        self.pool_of = {
            Endpoint.POST_EVENTS: self.write_pool,
            Endpoint.ACK: self.write_pool,
            Endpoint.GET_INBOX: self.read_pool,
        }
        fd = system.front_door
        self.front_door = front_door_bucket(fd)
        # Behind an API Gateway proxy integration a Lambda throttle reaches the client as 500.
        self.lambda_throttle_class = (
            ErrorClass.SERVER if fd.kind is FrontDoorKind.API_GATEWAY else ErrorClass.THROTTLED
        )
        self.sqs = SqsConsumerScaling(system)
        self.policy = RetryPolicy.from_sdk(system.sdk)
        self.quota: RetryQuotaPool | None = (
            RetryQuotaPool(max(1, self.lam.environments))
            if system.sdk.retry_mode is RetryMode.STANDARD
            else None
        )
        self.timeout_ms = system.lambda_.timeout_s * 1000.0
        self.throttled_call_ms = system.dynamodb.throttled_call_ms
        self.seconds = math.ceil(scenario.duration_s)
        self.fig = Figures(self.seconds)
        self.sink = LatencySink()
        self.causes: dict[ThrottleCause, int] = dict.fromkeys(ThrottleCause, 0)
        self.faults = FaultPlan(scenario.faults)
        self.injected: dict[str, int] = {"lambda_errors": 0, "dynamodb_errors": 0}
        if self.faults.any:  # a storm may start at 0
            ddb_factor, lambda_factor = self.faults.storm(0.0)
            self.lam.set_cap_factor(lambda_factor)
            self.lam.set_recycling(self.faults.recycling(0.0))
            self.write_pool.housekeeping(0.0, ddb_factor)
            self.read_pool.housekeeping(0.0, ddb_factor)
        self._area_mark = 0.0

    def mean_units(self, ep: Endpoint) -> float:
        """Mean capacity units one request of ``ep`` consumes on the table (payload sizes
        uniform); for the inbox query, on the ``inbox`` index it reads. ASSUMPTION: every
        query returns a full page (``inbox.page_limit`` events); a tenant whose backlog is
        shorter than a page is charged for what it has on AWS (at least 0.5 RCU), so reads
        of near-empty inboxes are overestimated."""
        ddb = self.system.dynamodb
        sizes = self._item_sizes()
        if ep is Endpoint.POST_EVENTS:
            return float(np.mean([write_units(int(s)) for s in sizes]))
        if ep is Endpoint.ACK:
            return float(np.mean([update_units(int(s)) for s in sizes]))
        page = self.scenario.inbox.page_limit
        inbox = next((g for g in ddb.gsis if g.name == INBOX_INDEX), None)
        entries = sizes if inbox is None else [gsi_item_bytes(int(s), inbox) for s in sizes]
        mean_item = float(np.mean(entries))
        return read_units(int(page * mean_item), ddb.eventually_consistent_reads)

    def index_units(self, gsi: GsiConfig) -> dict[Endpoint, float]:
        """Mean write units one request of each endpoint consumes on ``gsi`` (payload sizes
        uniform): a new event puts its entry there; an ack removes the index keys
        (emulator/app/store.py: REMOVE inbox_pk, inbox_type_pk), taking the event out of the
        sparse index: "If an item was present in the index but a write caused the indexed
        attribute to be deleted, one write is required to delete the old item projection from
        the index" -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.
        An index entry's write is charged by its own size (one unit per started KB)."""
        sizes = self._item_sizes()
        mean = float(np.mean([write_units(gsi_item_bytes(int(s), gsi)) for s in sizes]))
        return {Endpoint.POST_EVENTS: mean, Endpoint.ACK: mean}

    def _item_sizes(self) -> np.ndarray:
        pl = self.scenario.payload.size_bytes
        return np.arange(pl.min, pl.max + 1) + self.system.dynamodb.item_overhead_bytes

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
            sqs = self.sqs
            f.sqs_depth[sec] = sqs.step(f.enqueued[sec], self.lam.busy)
            if sqs.shared and (sqs.in_flight or self.lam.others):
                self.lam.others = round(sqs.in_flight)
        self.lam.reclaim(now_s)
        ddb_factor, lambda_factor = self.faults.storm(now_s) if self.faults.any else (1.0, 1.0)
        self.lam.set_cap_factor(lambda_factor)
        if self.faults.any:
            self.lam.set_recycling(self.faults.recycling(now_s))
        self.write_pool.housekeeping(now_s, ddb_factor)
        self.read_pool.housekeeping(now_s, ddb_factor)
        if self.quota is not None:
            self.quota.set_clients(self.lam.environments)
        self.write_pool.consumed = self.read_pool.consumed = 0.0
        self.write_pool.throttled = self.read_pool.throttled = 0
