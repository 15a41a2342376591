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
from urllib.parse import parse_qs

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulator.app.settings import AppSettings
from emulator.governor.autoscaler import AutoScaler, ScalingAction
from emulator.governor.capacity import OnDemandCapacity, ProvisionedCapacity, TokenBucket
from emulator.governor.ddb import DynamoDBHook, SqsHook
from emulator.governor.faults import FaultTimeline
from emulator.governor.lambda_gate import EnvironmentPool
from emulator.governor.metrics import MetricNames, SecondCounters, cloudwatch_datums
from emulator.governor.settings import GovernorSettings
from scaling_lab.scenario.models import Fault, FaultKind
from scaling_lab.system.models import DynamoDBMode, SystemConfig

__all__ = ["Governor"]

log = logging.getLogger("emulator.governor")

# PutMetricData takes up to 1,000 metric data entries per call
# -- https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
_MAX_DATUMS = 1000


def _units(v: float) -> int:
    return max(1, math.ceil(v - 1e-9))


class Governor:
    """Everything the gate and the botocore hooks share; thread-safe."""

    def __init__(
        self,
        system: SystemConfig,
        settings: GovernorSettings,
        app_settings: AppSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.system = system.scaled(settings.scale) if settings.scale != 1 else system
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
        self.on_demand = ddb.mode is DynamoDBMode.ON_DEMAND
        self.write_cap: ProvisionedCapacity | OnDemandCapacity
        self.read_cap: ProvisionedCapacity | OnDemandCapacity
        self.write_scaler: AutoScaler | None = None
        self.read_scaler: AutoScaler | None = None
        if self.on_demand or ddb.write is None or ddb.read is None:
            self.write_cap = OnDemandCapacity(ddb.on_demand_warm_wcu)
            self.read_cap = OnDemandCapacity(ddb.on_demand_warm_rcu)
            self.table_wcu: float | None = None
            self.table_rcu: float | None = None
        else:
            self.table_wcu, self.table_rcu = ddb.write.provisioned, ddb.read.provisioned
            self.write_cap = ProvisionedCapacity(
                ddb.write.provisioned,
                ddb.burst_window_s,
                ddb.partitions * ddb.partition_wcu,
                settings.initial_burst_s,
            )
            self.read_cap = ProvisionedCapacity(
                ddb.read.provisioned,
                ddb.burst_window_s,
                ddb.partitions * ddb.partition_rcu,
                settings.initial_burst_s,
            )
            if ddb.write.auto_scaling is not None:
                self.write_scaler = AutoScaler(ddb.write.auto_scaling, ddb.write.provisioned)
            if ddb.read.auto_scaling is not None:
                self.read_scaler = AutoScaler(ddb.read.auto_scaling, ddb.read.provisioned)
        self._storm = 1.0
        self.pool = EnvironmentPool(self.system.lambda_, now)
        fd = self.system.front_door
        self.front_door = TokenBucket(fd.rate_per_s, fd.burst, level=fd.burst, last_s=now)
        self.names = MetricNames(
            settings.function_name,
            ddb.table,
            app_settings.queue_url.rstrip("/").rsplit("/", 1)[-1] or self.system.sqs.queue,
        )
        self.scaling_actions: list[dict[str, Any]] = []
        self.ddb_hook = DynamoDBHook(self)
        self.sqs_hook = SqsHook(self)
        self._datapoints = 0
        self._published_until: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._table_ready = False

    # -- time ---------------------------------------------------------------------------------
    def ensure_started(self, now: float) -> None:
        """Start the run clock at the first request unless :meth:`start` was called."""
        if self.t0 is None:
            self.start(now)

    def start(self, now: float | None = None, faults: list[Fault] | None = None) -> float:
        """Mark run time 0 (faults and datapoints count from here); forget earlier counters."""
        t0 = self.clock() if now is None else now
        with self._lock:
            self.t0 = t0
            self.timeline = FaultTimeline(list(self.settings.faults if faults is None else faults))
            self.counters.reset()
            self._datapoints = 0
            self._published_until = math.floor(self.t0)
            for scaler in (self.write_scaler, self.read_scaler):
                if scaler is not None:
                    scaler.high_streak = scaler.low_streak = 0
        return t0

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
            if isinstance(cap, OnDemandCapacity):
                cap.factor = factor
            elif table is not None:
                cap.set_provisioned(table * factor, now)

    def sync(self, now: float) -> None:
        """Apply or roll back a throttle storm that starts or ends at ``now``."""
        with self._lock:
            self._sync_storm(now)

    def try_consume_write(self, units: float, now: float) -> bool:
        """Admit a write of ``units`` WCU to the governed table, or refuse it (throttle)."""
        with self._lock:
            self._sync_storm(now)
            return self.write_cap.try_consume(units, now)

    def read_has_capacity(self, now: float) -> bool:
        """True when a read may go ahead (positive read balance)."""
        with self._lock:
            self._sync_storm(now)
            return self.read_cap.has_capacity(now)

    def charge_read(self, units: float, now: float) -> None:
        """Charge an admitted read after the fact."""
        with self._lock:
            self.read_cap.charge(units, now)

    def front_door_admit(self, now: float) -> bool:
        """API Gateway's token bucket (10,000/s, burst 5,000 by default, scaled)."""
        return self.front_door.try_take(1, now)

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
        """Start the ticker thread (idempotent)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="governor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the ticker and publish what is left."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)

    # -- ticker -------------------------------------------------------------------------------
    def _run(self) -> None:
        ddb = self._admin("dynamodb", self.app_settings.dynamodb_endpoint)
        sqs = self._admin("sqs", self.app_settings.sqs_endpoint)
        cw_endpoint = self.settings.cloudwatch_endpoint or self.app_settings.sqs_endpoint
        cw = self._admin("cloudwatch", cw_endpoint)
        last_second = -1
        last_publish = self.clock()
        while not self._stop.wait(self.settings.tick_s):
            try:
                now = self.clock()
                if not self._table_ready and self.table_wcu is not None:
                    self._table_ready = self._ensure_provisioned(ddb)
                self._sample(now)
                sec = math.floor(now)
                if sec != last_second:
                    last_second = sec
                    self._sample_queue(sqs, now)
                    self._step_faults(now)
                    self._step_autoscaling(ddb, now)
                if now - last_publish >= self.settings.publish_interval_s:
                    last_publish = now
                    self._publish(cw, math.floor(now))
            except Exception:  # the ticker must survive any one failure
                log.exception("governor tick failed")
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
        self._update_table(ddb, desc, self.table_wcu, self.table_rcu, mode != "PROVISIONED")
        return True

    def _update_table(
        self, ddb: Any, desc: dict[str, Any], wcu: float, rcu: float, switch: bool
    ) -> None:
        throughput = {"ReadCapacityUnits": _units(rcu), "WriteCapacityUnits": _units(wcu)}
        current = desc.get("ProvisionedThroughput", {})
        if not switch and all(current.get(k) == v for k, v in throughput.items()):
            return
        args: dict[str, Any] = {"TableName": desc["TableName"], "ProvisionedThroughput": throughput}
        if switch:
            args["BillingMode"] = "PROVISIONED"
            # ASSUMPTION: the indexes are provisioned like the table (the system file gives one
            # capacity for table and index writes together, see docs/emulation.md).
            args["GlobalSecondaryIndexUpdates"] = [
                {"Update": {"IndexName": i["IndexName"], "ProvisionedThroughput": throughput}}
                for i in desc.get("GlobalSecondaryIndexes", [])
            ]
        ddb.update_table(**args)

    def _consumed(self, name: str, start: int, end: int) -> float:
        return float(sum(s.get(name, 0.0) for s in self.counters.seconds(start, end)))

    def _step_autoscaling(self, ddb: Any, now: float) -> None:
        if self.t0 is None or (self.write_scaler is None and self.read_scaler is None):
            return
        origin = math.floor(self.t0)
        for dim, scaler in (("wcu", self.write_scaler), ("rcu", self.read_scaler)):
            if scaler is None:
                continue
            dp_s = scaler.settings.datapoint_s
            done = self._datapoints
            while now >= origin + (done + 1) * dp_s:
                start = origin + done * dp_s
                consumed = self._consumed(f"ddb_consumed_{dim}", int(start), int(start + dp_s))
                action = scaler.datapoint(start + dp_s - origin, consumed)
                if action is not None:
                    log.warning(
                        "auto scaling %s %s: %.0f -> %.0f (decided at t=%.0fs)",
                        dim,
                        action.direction.value,
                        action.from_units,
                        action.to_units,
                        action.decided_s,
                    )
                done += 1
            act = scaler.due(now - origin)
            if act is not None:
                self._apply(ddb, dim, act, now)
        wdp = self.write_scaler.settings.datapoint_s if self.write_scaler else None
        rdp = self.read_scaler.settings.datapoint_s if self.read_scaler else None
        dp = wdp or rdp or 60.0
        self._datapoints = int((now - origin) // dp)

    def _apply(self, ddb: Any, dim: str, act: ScalingAction, now: float) -> None:
        with self._lock:
            if dim == "wcu":
                self.table_wcu = act.to_units
                if isinstance(self.write_cap, ProvisionedCapacity):
                    self.write_cap.set_provisioned(act.to_units * self._storm, now)
            else:
                self.table_rcu = act.to_units
                if isinstance(self.read_cap, ProvisionedCapacity):
                    self.read_cap.set_provisioned(act.to_units * self._storm, now)
            wcu, rcu = self.table_wcu, self.table_rcu
        record = {
            "dimension": dim,
            "direction": act.direction.value,
            "decided_t_s": act.decided_s,
            "effective_t_s": act.effective_s,
            "applied_epoch_s": now,
            "from_units": act.from_units,
            "to_units": act.to_units,
            "utilization_pct": round(act.utilization_pct, 2),
        }
        self.scaling_actions.append(record)
        log.warning("auto scaling applied: %s", json.dumps(record))
        assert wcu is not None and rcu is not None
        try:
            desc = ddb.describe_table(TableName=self.system.dynamodb.table)["Table"]
            self._update_table(ddb, desc, wcu, rcu, False)
        except (BotoCoreError, ClientError) as exc:
            log.warning("UpdateTable failed: %s", exc)

    def _publish(self, cw: Any, until: int) -> None:
        if not self.settings.publish or self._published_until is None:
            return
        seconds = self.counters.seconds(self._published_until, until)
        if not seconds:
            return
        for namespace, datums in cloudwatch_datums(seconds, self.names).items():
            for i in range(0, len(datums), _MAX_DATUMS):
                cw.put_metric_data(Namespace=namespace, MetricData=datums[i : i + _MAX_DATUMS])
        self._published_until = until

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
            "state": {
                "lambda_busy": self.pool.busy,
                "lambda_environments": self.pool.environments,
                "lambda_cap": self.pool.cap,
                "provisioned_wcu": wcu,
                "provisioned_rcu": rcu,
            },
        }

    def control(self, method: str, path: str, query: bytes, body: bytes) -> tuple[int, Any]:
        """Answer a control request under ``settings.control_prefix``."""
        name = path[len(self.settings.control_prefix) :].strip("/")
        if name == "metrics" and method == "GET":
            qs = parse_qs(query.decode())
            since = int(qs["since"][0]) if qs.get("since", [""])[0].isdigit() else None
            return 200, self.snapshot(since)
        if name == "start" and method == "POST":
            faults = None
            if body.strip():
                try:
                    data = json.loads(body)
                    if "faults" in data:
                        faults = [Fault.model_validate(f) for f in data["faults"]]
                except (ValueError, TypeError) as exc:
                    return 400, {"error": "bad_request", "message": str(exc)[:300]}
            t0 = self.start(faults=faults)
            return 200, {"t0_epoch_s": t0, "faults": len(self.timeline.journal)}
        return 404, {"error": "not_found", "message": f"no control route {path}"}
