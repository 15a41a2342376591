"""The governed DynamoDB table's capacity: what the DynamoDB hook admits, refuses and charges.

Table limiters, per-key partitions, throttle-storm factor and the auto scalers' datapoints,
all from the rulebook (:mod:`scaling_lab.aws.dynamodb`); no threads and no I/O here (the
governor's ticker feeds :meth:`TableCapacity.close_datapoints` and applies its decisions).
Thread-safe: every method takes the capacity's lock.
"""

from __future__ import annotations

import math
import threading

from scaling_lab.aws import (
    AutoScaler,
    BurstBucket,
    OnDemandLimiter,
    ScalingEvent,
    ThrottleReason,
    TokenBucket,
    couple_on_demand,
    partition_key_bucket,
    table_limiter,
)
from scaling_lab.observe.document import ScalingDatapoint
from scaling_lab.system.models import CapacitySettings, DynamoDBConfig, DynamoDBMode

__all__ = ["DIMENSIONS", "TableCapacity"]

#: The two capacity dimensions, as the metrics document names them.
DIMENSIONS = ("wcu", "rcu")


class TableCapacity:
    """Provisioned or on-demand capacity of one table, its partitions and auto scaling."""

    def __init__(self, ddb: DynamoDBConfig, *, burst_credit_full: bool, now: float) -> None:
        self.ddb = ddb
        self.burst_credit_full = burst_credit_full
        self.lock = threading.RLock()
        self.on_demand = ddb.mode == DynamoDBMode.ON_DEMAND or ddb.write is None or ddb.read is None
        self.write_cap: BurstBucket | OnDemandLimiter
        self.read_cap: BurstBucket | OnDemandLimiter
        self.table_wcu: float | None = None
        self.table_rcu: float | None = None
        if not self.on_demand and ddb.write is not None and ddb.read is not None:
            self.table_wcu, self.table_rcu = ddb.write.provisioned, ddb.read.provisioned
        self.storm = 1.0
        self.write_scaler: AutoScaler | None = None
        self.read_scaler: AutoScaler | None = None
        self._keys: dict[tuple[str, str], TokenBucket] = {}
        # Consumed units per datapoint index, and how many datapoints each scaler was fed.
        self._datapoints: dict[str, dict[int, float]] = {d: {} for d in DIMENSIONS}
        self._fed: dict[str, int] = dict.fromkeys(DIMENSIONS, 0)
        self._t0: float | None = None
        self._new_buckets(now)

    # -- a run ----------------------------------------------------------------------------------
    def reset(self, t0: float) -> None:
        """A run starts at epoch ``t0``: buckets as the settings say (the provisioned units in
        force stay), partitions, datapoints and auto scalers afresh."""
        with self.lock:
            self._t0 = t0
            self.storm = 1.0
            self._new_buckets(t0)
            self._keys = {}
            self._datapoints = {d: {} for d in DIMENSIONS}
            self._fed = dict.fromkeys(DIMENSIONS, 0)
            self.write_scaler, self.read_scaler = self._scalers(t0)

    def _new_buckets(self, now: float) -> None:
        ddb = self.ddb
        if self.table_wcu is None or self.table_rcu is None:
            self.write_cap = table_limiter(ddb, None, write=True, now_s=now)
            self.read_cap = table_limiter(ddb, None, write=False, now_s=now)
            couple_on_demand(self.write_cap, self.read_cap)
            return
        full = self.burst_credit_full
        # the units in force now (auto scaling may have changed them since the file)
        write = CapacitySettings(provisioned=self.table_wcu)
        read = CapacitySettings(provisioned=self.table_rcu)
        self.write_cap = table_limiter(ddb, write, write=True, now_s=now, start_full=full)
        self.read_cap = table_limiter(ddb, read, write=False, now_s=now, start_full=full)

    def _scalers(self, t0: float) -> tuple[AutoScaler | None, AutoScaler | None]:
        out: list[AutoScaler | None] = []
        for cap, table in ((self.ddb.write, self.table_wcu), (self.ddb.read, self.table_rcu)):
            auto = None if cap is None else cap.auto_scaling
            if self.on_demand or table is None or auto is None or not auto.enabled:
                out.append(None)
            else:
                out.append(AutoScaler(auto, table, now_s=0.0, epoch_at_zero_s=t0))
        return out[0], out[1]

    def scaler(self, dim: str) -> AutoScaler | None:
        return self.write_scaler if dim == "wcu" else self.read_scaler

    # -- throttle storm -------------------------------------------------------------------------
    def set_storm(self, now: float, factor: float) -> None:
        """Scale the table's capacity by ``factor`` (1: none) while a throttle storm lasts."""
        with self.lock:
            if factor == self.storm:
                return
            self.storm = factor
            for cap, table in ((self.write_cap, self.table_wcu), (self.read_cap, self.table_rcu)):
                if isinstance(cap, BurstBucket) and table is not None:
                    cap.set_provisioned(now, table * factor)
                elif isinstance(cap, OnDemandLimiter):
                    # A storm on an on-demand table lowers its instant limit (until the next peak).
                    cap.bucket.reconfigure(now, cap.limit * factor, cap.limit * factor)

    # -- admission ------------------------------------------------------------------------------
    def write_refusal(self, units: float, now: float, key: str | None) -> ThrottleReason | None:
        """None when a write of ``units`` WCU with partition key value ``key`` is admitted
        (and charged); else why DynamoDB throttles it: the key's partition first (every
        partition key value is one partition's worth, the rulebook's ``KeyLimits``), then the
        table's capacity."""
        with self.lock:
            bucket = self._key_bucket("w", key, now) if key else None
            if bucket is not None and bucket.refill(now) + 1e-9 < units:
                return ThrottleReason.TABLE_WRITE_KEY_RANGE
            if not self.write_cap.try_take(now, units):
                return ThrottleReason.TABLE_WRITE_PROVISIONED
            if bucket is not None:
                bucket.tokens = max(0.0, bucket.tokens - units)
            self._account("wcu", units, now)
            return None

    def read_refusal(self, now: float, key: str | None) -> ThrottleReason | None:
        """None when a read may go ahead (positive balance on the table and on the partition
        of the index key it queries); else the reason."""
        with self.lock:
            bucket = self._key_bucket("r", key, now) if key else None
            if bucket is not None and bucket.refill(now) <= 0:
                return ThrottleReason.INDEX_READ_KEY_RANGE
            if self.read_cap.available(now) <= 0:
                return ThrottleReason.TABLE_READ_PROVISIONED
            return None

    def charge_read(self, units: float, now: float, key: str | None) -> None:
        """Charge an admitted read after the fact (as much as the balance holds)."""
        with self.lock:
            self.read_cap.take_up_to(now, units)
            if key:
                self._key_bucket("r", key, now).take_up_to(now, units)
            self._account("rcu", units, now)

    def _key_bucket(self, dim: str, key: str, now: float) -> TokenBucket:
        """The partition of one key value: its per-partition limit per second (scaled)."""
        b = self._keys.get((dim, key))
        if b is None:
            per = self.ddb.partition_wcu if dim == "w" else self.ddb.partition_rcu
            b = self._keys[(dim, key)] = partition_key_bucket(per, now)
        return b

    def _account(self, dim: str, units: float, now: float) -> None:
        """Add consumed units to the datapoint their time falls in (not the one being closed
        when the ticker comes round: a late tick must not move consumption between minutes)."""
        scaler = self.scaler(dim)
        if scaler is None or self._t0 is None:
            return
        k = math.floor((now - self._t0) / scaler.settings.datapoint_s)
        acc = self._datapoints[dim]
        acc[k] = acc.get(k, 0.0) + units

    # -- auto scaling ---------------------------------------------------------------------------
    def close_datapoints(self, dim: str, t: float) -> list[ScalingEvent]:
        """Feed the scaler of ``dim`` every datapoint finished by run time ``t`` (each with
        exactly the units consumed within it); the scaling decisions that became due."""
        scaler = self.scaler(dim)
        if scaler is None:
            return []
        dp = scaler.settings.datapoint_s
        with self.lock:
            before = len(scaler.events)
            while self._fed[dim] < math.floor(t / dp):
                k = self._fed[dim]
                scaler.consume(self._datapoints[dim].pop(k, 0.0))
                scaler.advance((k + 1) * dp)
                self._fed[dim] = k + 1
            scaler.advance(t)
            return list(scaler.events[before:])

    def apply(self, dim: str, units: float, now: float) -> tuple[float, float]:
        """Put a scaling decision in force; the table's (WCU, RCU) now."""
        with self.lock:
            cap = self.write_cap if dim == "wcu" else self.read_cap
            if dim == "wcu":
                self.table_wcu = units
            else:
                self.table_rcu = units
            if isinstance(cap, BurstBucket):
                cap.set_provisioned(now, units * self.storm)
            assert self.table_wcu is not None and self.table_rcu is not None
            return self.table_wcu, self.table_rcu

    def provisioned_now(self) -> tuple[float | None, float | None]:
        """(WCU, RCU) in force now, a throttle storm included; None for on-demand tables."""
        if self.table_wcu is None or self.table_rcu is None:
            return None, None
        return self.table_wcu * self.storm, self.table_rcu * self.storm

    def datapoints(self) -> dict[str, list[ScalingDatapoint]]:
        """What each auto scaler's alarms saw: per datapoint its period (run time), consumed
        units per second, when it was seen and the utilization it was judged at."""
        out: dict[str, list[ScalingDatapoint]] = {}
        with self.lock:
            for dim in DIMENSIONS:
                scaler = self.scaler(dim)
                if scaler is not None:
                    out[dim] = [
                        ScalingDatapoint(
                            start_t_s=d.start_s,
                            end_t_s=d.end_s,
                            consumed_per_s=round(d.consumed_per_s, 3),
                            seen_t_s=d.seen_s,
                            utilization=round(d.utilization, 4),
                        )
                        for d in scaler.datapoints
                    ]
        return out
