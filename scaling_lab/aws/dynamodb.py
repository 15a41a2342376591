"""DynamoDB's rules: capacity units, provisioned throughput with burst, on-demand, auto scaling.

Shared by the model (simulated time) and the emulator's governor (real time): every method
takes ``now_s`` as an argument and nothing here reads a clock or draws random numbers.

- :func:`write_units`, :func:`update_units`, :func:`read_units`: capacity units per request.
- :class:`BurstBucket`: DynamoDB provisioned capacity with burst credit and a partition cap.
- :class:`OnDemandLimiter`: DynamoDB on-demand, instant up to 2 x the previous peak.
- :class:`AutoScaler`: DynamoDB target-tracking auto scaling as a state machine.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from scaling_lab.aws.buckets import TokenBucket
from scaling_lab.system.models import (
    DDB_THROTTLED_CALL_MS,
    SECONDS_PER_DAY,
    AutoScaling,
    CapacitySettings,
    DynamoDBConfig,
    DynamoDBMode,
    GsiConfig,
    PartitionLayout,
)

__all__ = [
    "DDB_THROTTLED_CALL_MS",
    "DYNAMODB_MAX_ITEM_BYTES",
    "HOT_KEY_FRACTION",
    "READ_UNIT_BYTES",
    "WRITE_UNIT_BYTES",
    "AutoScaler",
    "BurstBucket",
    "KeyLimits",
    "OnDemandLimiter",
    "ScalingEvent",
    "ThrottleReason",
    "couple_on_demand",
    "gsi_item_bytes",
    "hot_keys",
    "index_limiter",
    "partition_key_bucket",
    "read_units",
    "table_limiter",
    "update_units",
    "write_units",
]

# "One write capacity unit represents one write per second for an item up to 1 KB in size";
# "one read capacity unit represents one strongly consistent read per second, or two eventually
# consistent reads per second, for an item up to 4 KB in size"
# -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
# A keys-only index entry holds the table and index keys. ASSUMPTION: 100 bytes of keys plus
# DynamoDB's 100-byte per-index-item overhead
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.StorageConsiderations)
KEYS_ONLY_BYTES = 200
# "The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary length
# (UTF-8 length) and attribute value lengths (again binary length)"
# -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024
# ASSUMPTION: a throttled call (ProvisionedThroughputExceededException) takes 4 ms before the
# SDK sleeps on AWS; undocumented. The default of ``dynamodb.throttled_call_ms``
# (scaling_lab.system.models), which the engines use.


def gsi_item_bytes(item_bytes: int, gsi: GsiConfig) -> int:
    """Size of the entry a write puts into one global secondary index."""
    if gsi.projected_bytes is not None:
        return gsi.projected_bytes
    if gsi.projection == "all":
        return item_bytes
    if gsi.projection == "keys_only":
        return min(item_bytes, KEYS_ONLY_BYTES)
    return item_bytes  # "include" without a size: assume the whole item (upper bound)


def _wcu(nbytes: int) -> int:
    return max(1, math.ceil(nbytes / WRITE_UNIT_BYTES))


def write_units(item_bytes: int, gsis: Sequence[GsiConfig] = ()) -> int:
    """WCU of a PutItem: one per started KB for the table, plus the same for each GSI.

    "Writes to a table that has a GSI also consume write capacity on the index"
    -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
    """
    if item_bytes < 0:
        raise ValueError(f"item_bytes must be >= 0, got {item_bytes}")
    return _wcu(item_bytes) + sum(_wcu(gsi_item_bytes(item_bytes, g)) for g in gsis)


def update_units(
    item_bytes: int, gsis: Sequence[GsiConfig] = (), *, changes_index_key: bool = True
) -> int:
    """WCU of an UpdateItem: the item's size on the table, and on each index it touches.

    "If an update changes an indexed key attribute, two writes are required: one to delete the
    previous item from the index and another to put the new item into the index"
    -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
    """
    per_index = 2 if changes_index_key else 1
    return _wcu(item_bytes) + sum(per_index * _wcu(gsi_item_bytes(item_bytes, g)) for g in gsis)


def read_units(total_bytes: int, eventually_consistent: bool = True) -> float:
    """RCU of a Query returning ``total_bytes``: one per started 4 KB of the summed item sizes,
    halved when eventually consistent ("Query ... sums the size of all items returned")
    -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
    """
    if total_bytes < 0:
        raise ValueError(f"total_bytes must be >= 0, got {total_bytes}")
    units = max(1, math.ceil(total_bytes / READ_UNIT_BYTES))
    return units * 0.5 if eventually_consistent else float(units)


class BurstBucket:
    """DynamoDB provisioned throughput of one table (or index).

    "DynamoDB currently retains up to five minutes (300 seconds) of unused read and write
    capacity ... during an occasional burst of activity, these extra capacity units can be
    consumed quickly" -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html
    so the credit is a token bucket refilled at the provisioned rate holding ``window_s`` of it.
    The same page caps each partition at 1,000 WCU / 3,000 RCU per second: ``partition_cap`` is
    their sum (keys assumed uniformly spread -- ASSUMPTION), a bucket holding one second of it.
    ASSUMPTION: the run starts with the burst credit full (the table was idle beforehand).
    """

    __slots__ = ("credit", "partition", "provisioned", "window_s")

    def __init__(
        self,
        provisioned: float,
        *,
        window_s: float,
        partition_cap: float,
        now_s: float = 0.0,
        start_full: bool = True,
    ) -> None:
        if provisioned <= 0:
            raise ValueError(f"provisioned must be > 0, got {provisioned}")
        self.provisioned = float(provisioned)
        self.window_s = float(window_s)
        cap = provisioned * max(window_s, 1.0)
        self.credit = TokenBucket(
            provisioned, cap, tokens=cap if start_full else provisioned, now_s=now_s
        )
        self.partition = TokenBucket(partition_cap, partition_cap, now_s=now_s)

    def available(self, now_s: float) -> float:
        return min(self.credit.refill(now_s), self.partition.refill(now_s))

    def try_take(self, now_s: float, units: float) -> bool:
        if self.available(now_s) >= units:
            self.credit.tokens -= units
            self.partition.tokens -= units
            return True
        return False

    def take_up_to(self, now_s: float, units: float) -> float:
        got = min(units, self.available(now_s))
        if got <= 0:
            return 0.0
        self.credit.tokens -= got
        self.partition.tokens -= got
        return got

    def set_provisioned(self, now_s: float, provisioned: float) -> None:
        """UpdateTable took effect: new rate; the credit keeps what it holds up to the new cap.

        Raising throughput beyond what the existing partitions support makes DynamoDB add
        partitions, and partitions are never merged back, so the partition cap only grows --
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.Partitions.html
        """
        self.provisioned = float(provisioned)
        self.credit.reconfigure(now_s, provisioned, provisioned * max(self.window_s, 1.0))
        if provisioned > self.partition.rate_per_s:
            self.partition.reconfigure(now_s, provisioned, provisioned)


class OnDemandLimiter:
    """DynamoDB on-demand capacity: "instantly accommodates up to double the previous peak
    traffic"; a new table "can sustain up to 4,000 writes per second and 12,000 reads per
    second"; exceeding double the previous peak within 30 minutes may throttle
    -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html

    The instant limit is ``max(warm, 2 x peak)`` where ``peak`` is the highest one-second
    consumption at least ``peak_lag_s`` old, each second's counted at most at the limit then
    in force, capped by the partitions' limits; a bucket holding one second of it enforces
    the rate. ASSUMPTION: the 30 minutes of the page above as that age
    (``dynamodb.on_demand_peak_age_s``, where the reasoning is written down).
    """

    __slots__ = (
        "_coupled",
        "_history",
        "_peak",
        "_second",
        "_used",
        "bucket",
        "partition_cap",
        "peak_lag_s",
        "warm",
    )

    def __init__(
        self, warm: float, *, partition_cap: float, peak_lag_s: float = 1800.0, now_s: float = 0.0
    ) -> None:
        self.warm = float(warm)
        self.partition_cap = float(partition_cap)
        self.peak_lag_s = peak_lag_s
        self._peak = 0.0
        self._history: deque[tuple[int, float]] = deque()
        self._second = int(now_s)
        self._used = 0.0
        self.bucket = TokenBucket(self.limit, self.limit, now_s=now_s)
        self._coupled: tuple[OnDemandLimiter, float] | None = None

    def couple(self, other: OnDemandLimiter, ratio: float) -> None:
        """Share the table's instant capacity with ``other`` (reads with writes): "4,000
        write request units or 12,000 read request units, or a linear combination of both"
        -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html.
        A unit taken here takes ``ratio`` units of ``other`` (12,000 / 4,000 = 3 for a write).
        ASSUMPTION: the combination also holds once the ceiling grew with the peak."""
        self._coupled = (other, ratio)

    def coupling(self, other: object) -> float:
        """Units of ``other`` a unit taken here takes too (0 when not coupled to it)."""
        if self._coupled is not None and self._coupled[0] is other:
            return self._coupled[1]
        return 0.0

    def _spend_coupled(self, now_s: float, units: float) -> None:
        if self._coupled is not None and units > 0:
            other, ratio = self._coupled
            b = other.bucket
            b.refill(now_s)
            b.tokens = max(0.0, b.tokens - units * ratio)

    @property
    def limit(self) -> float:
        return min(self.partition_cap, max(self.warm, 2.0 * self._peak))

    def _roll(self, now_s: float) -> None:
        sec = int(now_s)
        if sec == self._second:
            return
        # The table's traffic in that second, at most the ceiling then in force: the bucket
        # holds a second of capacity, so the first second of a step above the ceiling serves
        # up to twice it, a transient that is not a traffic level to double (AWS's "double
        # the previous peak traffic" on a new table means twice what it accommodated).
        self._history.append((self._second, min(self._used, self.limit)))
        self._second, self._used = sec, 0.0
        changed = False
        while self._history and self._history[0][0] <= sec - self.peak_lag_s:
            _, used = self._history.popleft()
            if used > self._peak:
                self._peak, changed = used, True
        if changed:
            self.bucket.reconfigure(now_s, self.limit, self.limit)

    def available(self, now_s: float) -> float:
        self._roll(now_s)
        return self.bucket.refill(now_s)

    def take_up_to(self, now_s: float, units: float) -> float:
        self._roll(now_s)
        got = self.bucket.take_up_to(now_s, units)
        self._used += got
        self._spend_coupled(now_s, got)
        return got

    def try_take(self, now_s: float, units: float) -> bool:
        self._roll(now_s)
        if self.bucket.try_take(now_s, units):
            self._used += units
            self._spend_coupled(now_s, units)
            return True
        return False


def table_limiter(
    ddb: DynamoDBConfig,
    settings: CapacitySettings | None,
    *,
    write: bool,
    now_s: float = 0.0,
    start_full: bool = True,
) -> BurstBucket | OnDemandLimiter:
    """The write (or read) limiter of the table at the start of a run.

    The instant ceiling is the table's warm throughput (``DynamoDBConfig.instant_ceiling``: the
    documented quantity, or a partition count / the legacy formula when the file asks for
    one); a table serves at least its own provisioned throughput, so the ceiling is never
    below it. Provisioned tables get burst credit (full at
    the start unless ``start_full`` is false: then one second of it); on-demand tables (or a
    missing capacity setting) get the on-demand limiter.
    """
    ceiling = ddb.instant_ceiling(write=write)
    if ddb.mode is DynamoDBMode.ON_DEMAND or settings is None:
        warm = ddb.on_demand_warm_wcu if write else ddb.on_demand_warm_rcu
        if ddb.warm_throughput is not None or ddb.layout is not PartitionLayout.WARM_THROUGHPUT:
            warm = ceiling
        # On demand the instant ceiling grows with the previous peak, up to the table quota.
        cap = ceiling if ddb.partitions is not None else ddb.on_demand_table_max_units
        return OnDemandLimiter(
            warm,
            partition_cap=max(cap, warm),
            peak_lag_s=ddb.on_demand_peak_age_s,
            now_s=now_s,
        )
    return BurstBucket(
        settings.provisioned,
        window_s=ddb.burst_window_s,
        partition_cap=max(ceiling, settings.provisioned),
        now_s=now_s,
        start_full=start_full,
    )


def couple_on_demand(
    write: BurstBucket | OnDemandLimiter, read: BurstBucket | OnDemandLimiter
) -> None:
    """An on-demand table's reads and writes draw on one instant capacity (linear
    combination of its warm write and read throughput)."""
    if isinstance(write, OnDemandLimiter) and isinstance(read, OnDemandLimiter):
        write.couple(read, read.warm / write.warm)
        read.couple(write, write.warm / read.warm)


def index_limiter(
    ddb: DynamoDBConfig, gsi: GsiConfig, table_write: CapacitySettings | None, *, now_s: float = 0.0
) -> BurstBucket | OnDemandLimiter:
    """The write limiter of an index with capacity of its own: its provisioned units (or the
    table's), burst credit like the table's, its warm throughput (or its provisioned units)
    as the instant ceiling. "When a GSI has insufficient write capacity, throttling results
    in write operations that fail on the base table"
    -- https://repost.aws/knowledge-center/dynamodb-gsi-throttling-table."""
    settings = gsi.write or table_write
    warm = gsi.warm_throughput.write_units_per_s if gsi.warm_throughput is not None else None
    if ddb.mode is DynamoDBMode.ON_DEMAND or settings is None:
        w = warm if warm is not None else ddb.on_demand_warm_wcu
        return OnDemandLimiter(
            w,
            partition_cap=max(w, ddb.on_demand_table_max_units),
            peak_lag_s=ddb.on_demand_peak_age_s,
            now_s=now_s,
        )
    return BurstBucket(
        settings.provisioned,
        window_s=ddb.burst_window_s,
        partition_cap=max(warm or 0.0, settings.provisioned),
        now_s=now_s,
    )


@dataclass(frozen=True)
class ScalingEvent:
    """A decision of the auto scaler: ``provisioned`` takes effect at ``effective_s``."""

    decided_s: float
    effective_s: float
    provisioned: float
    direction: str  # "out" | "in"


@dataclass(frozen=True)
class Datapoint:
    """One closed datapoint: its period ``[start_s, end_s)``, the units per second consumed in
    it, when the alarm saw it (``seen_s``) and the utilization it was judged at."""

    start_s: float
    end_s: float
    consumed_per_s: float
    seen_s: float
    utilization: float


class AutoScaler:
    """DynamoDB target tracking on consumed capacity, one datapoint per ``datapoint_s``.

    The timeline, each step a documented rule or a marked assumption (see ``AutoScaling``):

    1. consumption is summed per datapoint; a datapoint reaches the alarms ``metric_delay_s``
       after its period ends (ASSUMPTION, calibrate);
    2. the scale-out alarm is in ALARM while the last ``scale_out_datapoints`` datapoints seen
       are above the target utilization of the capacity then in force; the scale-in alarm while
       the last ``scale_in_datapoints`` are below target minus ``scale_in_margin_pct`` points
       (https://repost.aws/knowledge-center/dynamodb-auto-scaling);
    3. while an alarm stays in ALARM the policy is invoked again at every datapoint seen
       ("Except for Auto Scaling actions, the actions happen only on state transitions":
       https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html), so a
       throttled table steps up datapoint after datapoint; a new activity waits for the one in
       progress and for the cooldown after the last (0 s by default for DynamoDB);
    4. each activity sets consumed / target, within [min, max], and takes effect
       ``actuation_delay_s`` later (UpdateTable; ASSUMPTION, calibrate);
    5. decreases are limited per UTC day: 4 at any time, and one more whenever the last was
       an hour or more ago
       (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).

    Consumed capacity is what was served, so under throttling it understates demand, as on AWS.
    ``epoch_at_zero_s`` places time 0 on the UTC calendar for the daily budget (the model's
    runs start at 00:00 UTC unless told: an ASSUMPTION that only matters for runs that cross
    midnight).

    Feed it with :meth:`consume` as units are served and call :meth:`advance` with the current
    time; it returns the provisioned capacity in force.
    """

    def __init__(
        self,
        settings: AutoScaling,
        provisioned: float,
        *,
        now_s: float = 0.0,
        epoch_at_zero_s: float = 0.0,
    ) -> None:
        if not settings.enabled:
            raise ValueError("auto scaling is disabled in these settings")
        self.settings = settings
        self.provisioned = float(provisioned)
        self.epoch_at_zero_s = epoch_at_zero_s
        self._window_start_s = now_s
        self._consumed = 0.0
        self._unseen: deque[tuple[float, float, float]] = deque()  # (start, end, per_s)
        self._above = 0
        self._below = 0
        self._pending: ScalingEvent | None = None
        self._last_done: dict[str, float] = {}
        self._decreases: list[float] = []  # effective times, run time
        self.events: list[ScalingEvent] = []
        self.datapoints: list[Datapoint] = []

    @property
    def target(self) -> float:
        return self.settings.target_utilization_pct / 100.0

    def consume(self, units: float) -> None:
        self._consumed += units

    def _desired(self, consumed_per_s: float) -> float:
        s = self.settings
        return min(s.max, max(s.min, math.ceil(consumed_per_s / self.target)))

    def _utc_day(self, t_s: float) -> int:
        return math.floor((self.epoch_at_zero_s + t_s) / SECONDS_PER_DAY)

    def scale_in_allowed(self, t_s: float) -> bool:
        """The decrease quota at run time ``t_s`` (a decrease counts when it takes effect)."""
        s = self.settings
        today = [d for d in self._decreases if self._utc_day(d) == self._utc_day(t_s)]
        if len(today) < s.scale_in_anytime_per_day:
            return True
        return not today or t_s - today[-1] >= s.scale_in_extra_after_s

    def _cooled(self, direction: str, t_s: float) -> bool:
        s = self.settings
        cooldown = s.scale_out_cooldown_s if direction == "out" else s.scale_in_cooldown_s
        last = self._last_done.get(direction)
        return last is None or t_s >= last + cooldown

    def _evaluate(self, start_s: float, end_s: float, consumed_per_s: float, t_s: float) -> None:
        """The alarms see one more datapoint at ``t_s``; invoke the policy if one is in ALARM."""
        s = self.settings
        util = consumed_per_s / self.provisioned
        self.datapoints.append(Datapoint(start_s, end_s, consumed_per_s, t_s, util))
        self._above = self._above + 1 if util > self.target else 0
        low = (s.target_utilization_pct - s.scale_in_margin_pct) / 100.0
        self._below = self._below + 1 if util < low else 0
        if self._pending is not None:
            return  # an activity is in progress (the table is UPDATING)
        desired = self._desired(consumed_per_s)
        delay = s.actuation_delay_s
        if self._above >= s.scale_out_datapoints:
            if desired > self.provisioned and self._cooled("out", t_s):
                self._pending = ScalingEvent(t_s, t_s + delay, desired, "out")
        elif (
            self._below >= s.scale_in_datapoints
            and desired < self.provisioned
            and self._cooled("in", t_s)
            and self.scale_in_allowed(t_s + delay)
        ):
            self._pending = ScalingEvent(t_s, t_s + delay, desired, "in")

    def advance(self, now_s: float) -> float:
        """Close the datapoints ended by ``now_s``, let the alarms see those published by then
        and apply the activities due; the provisioned units in force."""
        s = self.settings
        dp = s.datapoint_s
        while now_s >= self._window_start_s + dp:
            start = self._window_start_s
            self._window_start_s += dp
            self._unseen.append((start, self._window_start_s, self._consumed / dp))
            self._consumed = 0.0
        while self._unseen and self._unseen[0][1] + s.metric_delay_s <= now_s:
            start, end, per_s = self._unseen.popleft()
            seen = end + s.metric_delay_s
            self._apply(seen)
            self._evaluate(start, end, per_s, seen)
        self._apply(now_s)
        return self.provisioned

    def _apply(self, now_s: float) -> None:
        ev = self._pending
        if ev is not None and now_s >= ev.effective_s:
            self.provisioned = ev.provisioned
            if ev.direction == "in":
                self._decreases.append(ev.effective_s)
            self._last_done[ev.direction] = ev.effective_s
            self.events.append(ev)
            self._pending = None

    def next_change_s(self) -> float | None:
        """When the pending decision takes effect (None if nothing is pending)."""
        return None if self._pending is None else self._pending.effective_s


class ThrottleReason(StrEnum):
    """DynamoDB's throttling reasons, ResourceType + OperationType + LimitType
    -- https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html
    ("KeyRangeThroughputExceeded: The request rate directed at a specific partition key value
    has exceeded the internal partition-level throughput limits")."""

    TABLE_WRITE_KEY_RANGE = "TableWriteKeyRangeThroughputExceeded"
    TABLE_READ_KEY_RANGE = "TableReadKeyRangeThroughputExceeded"
    INDEX_WRITE_KEY_RANGE = "IndexWriteKeyRangeThroughputExceeded"
    INDEX_READ_KEY_RANGE = "IndexReadKeyRangeThroughputExceeded"
    TABLE_WRITE_PROVISIONED = "TableWriteProvisionedThroughputExceeded"
    TABLE_READ_PROVISIONED = "TableReadProvisionedThroughputExceeded"
    INDEX_WRITE_PROVISIONED = "IndexWriteProvisionedThroughputExceeded"
    INDEX_READ_PROVISIONED = "IndexReadProvisionedThroughputExceeded"

    @classmethod
    def of(cls, *, index: bool, write: bool, key_range: bool) -> ThrottleReason:
        name = ("Index" if index else "Table") + ("Write" if write else "Read")
        return cls(name + ("KeyRange" if key_range else "Provisioned") + "ThroughputExceeded")


# A key value whose mean load stays below this fraction of its limit is not tracked: with a
# bucket holding one second of the limit it cannot be throttled by random arrivals (P[Poisson
# (500) > 1,000] < 1e-60). ASSUMPTION of the engines (a speed-up), not of DynamoDB.
HOT_KEY_FRACTION = 0.5


class KeyLimits:
    """Per-partition-key ceilings: "each individual partition is limited to 1,000 write units
    per second and 3,000 read units per second. If your application drives too much traffic
    to a small portion of the table's partitions, throttling can occur even before you reach
    the table's warm throughput" -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html;
    the throttle reason is KeyRangeThroughputExceeded -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html.

    Split for heat can spread one key value's items over partitions by sort key, but not
    writes whose sort key only increases: each new item lands at the end of the key range
    (DynamoDB developer guide, burst-adaptive-capacity, "Isolate frequently accessed items";
    AWS Database Blog, "Scaling DynamoDB: How partitions, hot keys, and split for heat impact
    performance"). The Triggers API's sort key is a ULID that only grows, so each tenant's
    writes stay on one partition: one key value serves at most one partition's limit.
    ASSUMPTION: reads of one key value (the newest items of a tenant's inbox) likewise.

    One bucket per tracked key, refilled at ``per_key_units_per_s`` and holding one second of
    it (ASSUMPTION: the per-partition limit is enforced per second, with no burst credit of
    its own). Keys are the hot ones of a spread (:func:`hot_keys`); the rest are untracked.
    """

    __slots__ = ("buckets", "per_key", "shares")

    def __init__(self, shares: Sequence[float], per_key_units_per_s: float, now_s: float = 0.0):
        self.shares = list(shares)
        self.per_key = float(per_key_units_per_s)
        self.buckets = [partition_key_bucket(self.per_key, now_s) for _ in shares]

    def admit(self, now_s: float, key: int, n: int, units: float) -> int:
        """How many of ``n`` requests of ``units`` each the key's partition takes now."""
        b = self.buckets[key]
        k = min(n, int((b.refill(now_s) + 1e-9) / units))
        if k > 0:
            b.tokens = max(0.0, b.tokens - k * units)
        return k

    def refund(self, key: int, units: float) -> None:
        """Give back units of requests the table then refused (they were not served)."""
        b = self.buckets[key]
        b.tokens = min(b.capacity, b.tokens + units)


def partition_key_bucket(per_key_units_per_s: float, now_s: float = 0.0) -> TokenBucket:
    """The capacity of one partition key value (see :class:`KeyLimits`): refilled at the
    per-partition limit, holding one second of it."""
    return TokenBucket(per_key_units_per_s, per_key_units_per_s, now_s=now_s)


def hot_keys(shares: Sequence[float], peak_units_per_s: float, per_key: float) -> list[float]:
    """Shares of the keys (largest first) whose mean load at the peak reaches
    ``HOT_KEY_FRACTION`` of the per-key limit."""
    return [s for s in shares if s * peak_units_per_s >= HOT_KEY_FRACTION * per_key]
