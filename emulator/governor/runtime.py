"""The Governor: shared state of the gate and the hooks, and its background ticker.

The ticker (one daemon thread) samples gauges every second, moves the fault journal, feeds
1-minute datapoints to the auto scalers, applies their decisions with ``UpdateTable`` (so
``DescribeTable`` shows them), and publishes batched ``PutMetricData`` calls.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulator.app.settings import AppSettings
from emulator.governor.ddb import DynamoDBHook, SqsHook
from emulator.governor.faults import FaultTimeline
from emulator.governor.metrics import MetricNames, SecondCounters, cloudwatch_datums
from emulator.governor.settings import GovernorSettings
from emulator.governor.tables import set_table_capacity
from scaling_lab.aws import (
    PUT_METRIC_DATA_MAX_DATUMS,
    Admission,
    AutoScaler,
    BurstBucket,
    LambdaEnvironments,
    OnDemandLimiter,
    ThrottleReason,
    TokenBucket,
    couple_on_demand,
    front_door_bucket,
    partition_key_bucket,
    table_limiter,
)
from scaling_lab.scenario.models import Fault, FaultKind
from scaling_lab.system.models import CapacitySettings, DynamoDBMode, SystemConfig
from scaling_lab.system.scaling import scale_system

__all__ = ["Governor"]

log = logging.getLogger("emulator.governor")


class Governor:
    """Everything the gate and the botocore hooks share; thread-safe."""

    def __init__(
        self,
        system: SystemConfig,
        settings: GovernorSettings,
        app_settings: AppSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.system = scale_system(system, settings.scale) if settings.scale != 1 else system
        self.settings = settings
        self.app_settings = app_settings
        self.clock = clock
        self.counters = SecondCounters()
        self.timeline = FaultTimeline(list(settings.faults))
        self._rng = np.random.default_rng(settings.seed)
        self._rng_lock = threading.Lock()
        self._lock = threading.RLock()
        now = clock()
        self.t0: float | None = None
        ddb = self.system.dynamodb
        self.on_demand = ddb.mode == DynamoDBMode.ON_DEMAND or ddb.write is None or ddb.read is None
        self.write_cap: BurstBucket | OnDemandLimiter
        self.read_cap: BurstBucket | OnDemandLimiter
        self.table_wcu: float | None = None
        self.table_rcu: float | None = None
        if not self.on_demand and ddb.write is not None and ddb.read is not None:
            self.table_wcu, self.table_rcu = ddb.write.provisioned, ddb.read.provisioned
        self._new_capacity(now)
        self.write_scaler: AutoScaler | None = None
        self.read_scaler: AutoScaler | None = None
        self._storm = 1.0
        self.pool = LambdaEnvironments(self.system.lambda_, now_s=now)
        self.front_door = front_door_bucket(self.system.front_door, now_s=now)
        # Dimensions use the system file's names, so observe reads the emulator as it reads AWS.
        self.names = MetricNames(settings.function_name, ddb.table, self.system.sqs.queue)
        self.scaling_actions: list[dict[str, Any]] = []
        self.ddb_hook = DynamoDBHook(self)
        self.sqs_hook = SqsHook(self)
        self._published_until: int | None = None
        self.publish_failures = 0
        # Consumed units per datapoint index, and how many datapoints each scaler was fed.
        self._datapoints: dict[str, dict[int, float]] = {"wcu": {}, "rcu": {}}
        self._fed: dict[str, int] = {"wcu": 0, "rcu": 0}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._table_ready = False
        self._keys: dict[tuple[str, str], TokenBucket] = {}

    # -- time ---------------------------------------------------------------------------------
    def ensure_started(self, now: float) -> None:
        """Start the run clock at the first request unless :meth:`start` was called."""
        if self.t0 is None:
            self.start(now)

    def start(self, now: float | None = None, faults: list[Fault] | None = None) -> float:
        """Mark run time 0: faults and datapoints count from here, counters start afresh, and
        the capacity buckets start as the settings say (the provisioned units in force stay)."""
        t0 = self.clock() if now is None else now
        with self._lock:
            self.t0 = t0
            self.timeline = FaultTimeline(list(self.settings.faults if faults is None else faults))
            self.counters.reset()
            self._published_until = math.floor(t0)
            self._storm = 1.0
            self._new_capacity(t0)
            self._keys = {}
            self._datapoints = {"wcu": {}, "rcu": {}}
            self._fed = {"wcu": 0, "rcu": 0}
            self.write_scaler, self.read_scaler = self._scalers()
        return t0

    def _new_capacity(self, now: float) -> None:
        """Capacity buckets as the table starts a run (burst credit per the settings)."""
        ddb = self.system.dynamodb
        full = self.settings.burst_credit_full
        if self.table_wcu is None or self.table_rcu is None:
            self.write_cap = table_limiter(ddb, None, write=True, now_s=now)
            self.read_cap = table_limiter(ddb, None, write=False, now_s=now)
            couple_on_demand(self.write_cap, self.read_cap)
            return
        # the units in force now (auto scaling may have changed them since the file)
        write = CapacitySettings(provisioned=self.table_wcu)
        read = CapacitySettings(provisioned=self.table_rcu)
        self.write_cap = table_limiter(ddb, write, write=True, now_s=now, start_full=full)
        self.read_cap = table_limiter(ddb, read, write=False, now_s=now, start_full=full)

    def _scalers(self) -> tuple[AutoScaler | None, AutoScaler | None]:
        """Fresh auto scalers on run time (datapoints count from the start mark)."""
        ddb = self.system.dynamodb
        out: list[AutoScaler | None] = []
        for cap, table in ((ddb.write, self.table_wcu), (ddb.read, self.table_rcu)):
            auto = None if cap is None else cap.auto_scaling
            if self.on_demand or table is None or auto is None or not auto.enabled:
                out.append(None)
            else:
                out.append(AutoScaler(auto, table, now_s=0.0, epoch_at_zero_s=self.t0 or 0.0))
        return out[0], out[1]

    def run_time(self, now: float) -> float:
        """Seconds since the run started; -1 before it (no fault is active then)."""
        return -1.0 if self.t0 is None else now - self.t0

    # -- randomness ---------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        """True with probability ``p`` (seeded)."""
        with self._rng_lock:
            return bool(self._rng.random() < p)

    def sample_cold_start_ms(self) -> float:
        """One cold start duration from the system file's distribution."""
        with self._rng_lock:
            return float(self.system.lambda_.cold_start_ms.sample(self._rng))

    # -- capacity -----------------------------------------------------------------------------
    def _sync_storm(self, now: float) -> None:
        entry = self.timeline.first(self.run_time(now), FaultKind.THROTTLE_STORM)
        factor = 1.0
        lambda_factor = 1.0
        if entry is not None and entry.fault.capacity_factor is not None:
            if entry.fault.target == "lambda":
                lambda_factor = entry.fault.capacity_factor
            else:
                factor = entry.fault.capacity_factor
                if entry.fault.target == "all":
                    lambda_factor = factor
        self.pool.cap_factor = lambda_factor
        if factor == self._storm:
            return
        self._storm = factor
        for cap, table in ((self.write_cap, self.table_wcu), (self.read_cap, self.table_rcu)):
            if isinstance(cap, BurstBucket) and table is not None:
                cap.set_provisioned(now, table * factor)
            elif isinstance(cap, OnDemandLimiter):
                # A storm on an on-demand table lowers its instant limit (until the next peak).
                cap.bucket.reconfigure(now, cap.limit * factor, cap.limit * factor)

    def sync(self, now: float) -> None:
        """Apply or roll back a throttle storm that starts or ends at ``now``."""
        with self._lock:
            self._sync_storm(now)

    def try_consume_write(self, units: float, now: float, key: str | None = None) -> bool:
        """Admit a write of ``units`` WCU to the governed table, or refuse it (throttle)."""
        return self.write_refusal(units, now, key) is None

    def write_refusal(
        self, units: float, now: float, key: str | None = None
    ) -> ThrottleReason | None:
        """None when a write of ``units`` WCU with partition key value ``key`` is admitted
        (and charged); else why DynamoDB throttles it: the key's partition first (every
        partition key value is one partition's worth, the rulebook's ``KeyLimits``), then the
        table's capacity."""
        with self._lock:
            self._sync_storm(now)
            bucket = self._key_bucket("w", key, now) if key else None
            if bucket is not None and bucket.refill(now) + 1e-9 < units:
                return ThrottleReason.TABLE_WRITE_KEY_RANGE
            if not self.write_cap.try_take(now, units):
                return ThrottleReason.TABLE_WRITE_PROVISIONED
            if bucket is not None:
                bucket.tokens = max(0.0, bucket.tokens - units)
            self._account("wcu", self.write_scaler, units, now)
            return None

    def read_has_capacity(self, now: float, key: str | None = None) -> bool:
        """True when a read may go ahead (positive read balance)."""
        return self.read_refusal(now, key) is None

    def read_refusal(self, now: float, key: str | None = None) -> ThrottleReason | None:
        """None when a read may go ahead (positive balance on the table and on the partition
        of the index key it queries); else the reason."""
        with self._lock:
            self._sync_storm(now)
            bucket = self._key_bucket("r", key, now) if key else None
            if bucket is not None and bucket.refill(now) <= 0:
                return ThrottleReason.INDEX_READ_KEY_RANGE
            if self.read_cap.available(now) <= 0:
                return ThrottleReason.TABLE_READ_PROVISIONED
            return None

    def charge_read(self, units: float, now: float, key: str | None = None) -> None:
        """Charge an admitted read after the fact (as much as the balance holds)."""
        with self._lock:
            self.read_cap.take_up_to(now, units)
            if key:
                self._key_bucket("r", key, now).take_up_to(now, units)
            self._account("rcu", self.read_scaler, units, now)

    def _key_bucket(self, dim: str, key: str, now: float) -> TokenBucket:
        """The partition of one key value: its per-partition limit per second (scaled)."""
        b = self._keys.get((dim, key))
        if b is None:
            ddb = self.system.dynamodb
            per = ddb.partition_wcu if dim == "w" else ddb.partition_rcu
            b = self._keys[(dim, key)] = partition_key_bucket(per, now)
        return b

    def _account(self, dim: str, scaler: AutoScaler | None, units: float, now: float) -> None:
        """Add consumed units to the datapoint their time falls in (not the one being closed
        when the ticker comes round: a late tick must not move consumption between minutes)."""
        if scaler is None or self.t0 is None:
            return
        k = math.floor((now - self.t0) / scaler.settings.datapoint_s)
        acc = self._datapoints[dim]
        acc[k] = acc.get(k, 0.0) + units

    def front_door_admit(self, now: float) -> bool:
        """API Gateway's token bucket (always admits behind a Function URL)."""
        if self.front_door is None:
            return True
        with self._lock:
            return self.front_door.take_whole(now, 1) == 1

    def admit_lambda(self, now: float) -> Admission:
        """One invocation through Lambda's rules (the rulebook's environments)."""
        with self._lock:
            adm = self.pool.admit(now, 1)
            busy = self.pool.busy
        self.counters.gauge_max(now, "lambda_concurrency", busy)
        return adm

    def release_lambda(self, now: float) -> None:
        """An admitted invocation finished; its environment is idle from ``now``."""
        with self._lock:
            self.pool.release(now, 1)

    def provisioned_now(self) -> tuple[float | None, float | None]:
        """(WCU, RCU) in force now, a throttle storm included; None for on-demand tables."""
        if self.table_wcu is None or self.table_rcu is None:
            return None, None
        return self.table_wcu * self._storm, self.table_rcu * self._storm

    # -- wiring -------------------------------------------------------------------------------
    def client_hook(self, service: str, client: Any) -> None:
        """``emulator.app.clients.ClientHook``: attach to the app's DynamoDB and SQS clients."""
        if service == "dynamodb":
            self.ddb_hook.register(client)
        elif service == "sqs":
            self.sqs_hook.register(client)

    def _admin(self, service: str, endpoint: str | None) -> Any:
        s = self.app_settings
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=s.region,
            aws_access_key_id=s.access_key_id,
            aws_secret_access_key=s.secret_access_key,
            config=Config(
                retries={"mode": "standard", "total_max_attempts": 3},
                connect_timeout=2,
                read_timeout=10,
            ),
        )

    def start_background(self) -> None:
        """Start the ticker and the metrics thread (idempotent)."""
        if self._threads:
            return
        for name, target in (("governor", self._run), ("governor-io", self._run_io)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop both threads; the metrics thread publishes what is left."""
        self._stop.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(10)

    # -- threads ------------------------------------------------------------------------------
    def _run(self) -> None:
        """Ticker: gauges, the fault journal and auto scaling (no slow I/O on this path)."""
        ddb = self._admin("dynamodb", self.app_settings.dynamodb_endpoint)
        last_second = -1
        while not self._stop.wait(self.settings.tick_s):
            try:
                now = self.clock()
                if not self._table_ready and self.table_wcu is not None:
                    self._table_ready = self._ensure_provisioned(ddb)
                self._sample(now)
                sec = math.floor(now)
                if sec != last_second:
                    last_second = sec
                    self._step_faults(now)
                    self._step_autoscaling(ddb, now)
            except Exception:  # the ticker must survive any one failure
                log.exception("governor tick failed")

    def _run_io(self) -> None:
        """Metrics thread: queue depth every second, PutMetricData every publish interval."""
        sqs = self._admin("sqs", self.app_settings.sqs_endpoint)
        cw_endpoint = (
            getattr(self.app_settings, "cloudwatch_endpoint", None)
            or self.settings.cloudwatch_endpoint
            or self.app_settings.sqs_endpoint
        )
        cw = self._admin("cloudwatch", cw_endpoint)
        last_publish = self.clock()
        while not self._stop.wait(1.0 - (self.clock() % 1.0)):
            try:
                now = self.clock()
                self._sample_queue(sqs, now)
                if now - last_publish >= self.settings.publish_interval_s:
                    last_publish = now
                    self._publish(cw, math.floor(now))
            except Exception:  # the metrics thread must survive any one failure
                log.exception("governor metrics failed")
        try:
            self._publish(cw, math.floor(self.clock()) + 1)
        except Exception:  # a failed flush must not break shutdown
            log.exception("final metrics publish failed")

    def _sample(self, now: float) -> None:
        with self._lock:
            self._sync_storm(now)
        self.counters.gauge_max(now, "lambda_concurrency", self.pool.busy)
        wcu, rcu = self.provisioned_now()
        if wcu is not None and rcu is not None:
            self.counters.gauge_last(now, "ddb_provisioned_wcu", wcu)
            self.counters.gauge_last(now, "ddb_provisioned_rcu", rcu)

    def _sample_queue(self, sqs: Any, now: float) -> None:
        if not self.app_settings.queue_url:
            return
        try:
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.app_settings.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        except (BotoCoreError, ClientError):
            return
        self.counters.gauge_last(now, "sqs_depth", float(attrs["ApproximateNumberOfMessages"]))

    def _step_faults(self, now: float) -> None:
        if self.t0 is None:
            return
        applied, rolled = self.timeline.step(self.run_time(now), now)
        for e in applied:
            log.warning("fault applied: %s target=%s", e.fault.kind.value, e.fault.target)
        for e in rolled:
            log.warning(
                "fault rolled back: %s (%d calls affected)", e.fault.kind.value, e.affected_calls
            )

    def _ensure_provisioned(self, ddb: Any) -> bool:
        """Switch the governed table to PROVISIONED at the system file's capacity."""
        assert self.table_wcu is not None and self.table_rcu is not None
        try:
            desc = ddb.describe_table(TableName=self.system.dynamodb.table)["Table"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return False  # not provisioned yet; try again next tick
            raise
        mode = desc.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        set_table_capacity(ddb, desc, self.table_wcu, self.table_rcu, mode != "PROVISIONED")
        return True

    def _step_autoscaling(self, ddb: Any, now: float) -> None:
        if self.t0 is None:
            return
        t = self.run_time(now)
        for dim, scaler in (("wcu", self.write_scaler), ("rcu", self.read_scaler)):
            if scaler is None:
                continue
            dp = scaler.settings.datapoint_s
            with self._lock:
                before = len(scaler.events)
                # Close each finished datapoint with exactly the units consumed within it.
                while self._fed[dim] < math.floor(t / dp):
                    k = self._fed[dim]
                    scaler.consume(self._datapoints[dim].pop(k, 0.0))
                    scaler.advance((k + 1) * dp)
                    self._fed[dim] = k + 1
                scaler.advance(t)
                new_events = scaler.events[before:]
            for ev in new_events:
                self._apply(ddb, dim, ev.provisioned, now)
                record = {
                    "dimension": dim,
                    "direction": ev.direction,
                    "decided_t_s": ev.decided_s,
                    "effective_t_s": ev.effective_s,
                    "applied_t_s": round(t, 3),
                    "applied_epoch_s": now,
                    "to_units": ev.provisioned,
                }
                self.scaling_actions.append(record)
                log.warning("auto scaling applied: %s", json.dumps(record))

    def _apply(self, ddb: Any, dim: str, units: float, now: float) -> None:
        with self._lock:
            if dim == "wcu":
                self.table_wcu = units
                if isinstance(self.write_cap, BurstBucket):
                    self.write_cap.set_provisioned(now, units * self._storm)
            else:
                self.table_rcu = units
                if isinstance(self.read_cap, BurstBucket):
                    self.read_cap.set_provisioned(now, units * self._storm)
            wcu, rcu = self.table_wcu, self.table_rcu
        assert wcu is not None and rcu is not None
        try:
            desc = ddb.describe_table(TableName=self.system.dynamodb.table)["Table"]
            set_table_capacity(ddb, desc, wcu, rcu, False)
        except (BotoCoreError, ClientError) as exc:
            log.warning("UpdateTable failed: %s", exc)

    def _publish(self, cw: Any, until: int) -> None:
        if not self.settings.publish or self._published_until is None:
            return
        seconds = self.counters.seconds(self._published_until, until)
        if not seconds:
            return
        try:
            for namespace, datums in cloudwatch_datums(seconds, self.names).items():
                for i in range(0, len(datums), PUT_METRIC_DATA_MAX_DATUMS):
                    cw.put_metric_data(
                        Namespace=namespace, MetricData=datums[i : i + PUT_METRIC_DATA_MAX_DATUMS]
                    )
        except (BotoCoreError, ClientError) as exc:
            # The seconds stay readable at /_governor/metrics; CloudWatch misses them.
            self.publish_failures += 1
            level = logging.WARNING if self.publish_failures == 1 else logging.DEBUG
            log.log(level, "PutMetricData failed (%d so far): %s", self.publish_failures, exc)
        self._published_until = until

    def _scaling_datapoints(self) -> dict[str, list[dict[str, float]]]:
        """What each auto scaler's alarms saw: per datapoint its period (run time), consumed
        units per second, when it was seen and the utilization it was judged at."""
        out: dict[str, list[dict[str, float]]] = {}
        with self._lock:
            for dim, scaler in (("wcu", self.write_scaler), ("rcu", self.read_scaler)):
                if scaler is not None:
                    out[dim] = [
                        {
                            "start_t_s": d.start_s,
                            "end_t_s": d.end_s,
                            "consumed_per_s": round(d.consumed_per_s, 3),
                            "seen_t_s": d.seen_s,
                            "utilization": round(d.utilization, 4),
                        }
                        for d in scaler.datapoints
                    ]
        return out

    # -- control ------------------------------------------------------------------------------
    def snapshot(self, since: int | None = None) -> dict[str, Any]:
        """The per-second figures and journals (what ``GET /_governor/metrics`` serves)."""
        wcu, rcu = self.provisioned_now()
        return {
            "function_name": self.names.function_name,
            "table": self.names.table_name,
            "queue": self.names.queue_name,
            "t0_epoch_s": self.t0,
            "scale": self.settings.scale,
            "seconds": self.counters.seconds(since),
            "totals": dict(self.counters.totals),
            "throttles_by_cause": dict(self.counters.throttles_by_cause),
            "faults": [e.to_json() for e in self.timeline.journal],
            "scaling_actions": list(self.scaling_actions),
            "scaling_datapoints": self._scaling_datapoints(),
            "cloudwatch_publish_failures": self.publish_failures,
            "state": {
                "lambda_busy": self.pool.busy,
                "lambda_environments": self.pool.environments,
                "lambda_cap": self.pool.cap,
                "provisioned_wcu": wcu,
                "provisioned_rcu": rcu,
            },
        }
