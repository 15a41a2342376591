"""The Governor: shared state of the gate and the hooks, and its background ticker.

The ticker (one daemon thread) samples gauges every second, moves the fault journal, feeds
1-minute datapoints to the auto scalers, applies their decisions with ``UpdateTable`` (so
``DescribeTable`` shows them), and publishes batched ``PutMetricData`` calls.
"""

from __future__ import annotations

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
from emulator.governor.capacity import DIMENSIONS, TableCapacity
from emulator.governor.ddb import DynamoDBHook, SqsHook
from emulator.governor.faults import FaultTimeline
from emulator.governor.metrics import MetricNames, SecondCounters
from emulator.governor.publisher import MetricsPublisher
from emulator.governor.settings import GovernorSettings
from emulator.governor.tables import set_table_capacity
from scaling_lab.aws import (
    Admission,
    AutoScaler,
    LambdaEnvironments,
    ThrottleReason,
    front_door_bucket,
)
from scaling_lab.aws.metrics import Figure
from scaling_lab.observe.document import GovernorMetrics, GovernorState, ScalingAction
from scaling_lab.scenario.models import Fault, FaultKind
from scaling_lab.system.models import SystemConfig
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
        now = clock()
        self.t0: float | None = None
        self.capacity = TableCapacity(
            self.system.dynamodb, burst_credit_full=settings.burst_credit_full, now=now
        )
        # Lambda, the front door and the storm factor share the capacity's lock.
        self._lock = self.capacity.lock
        self.pool = LambdaEnvironments(self.system.lambda_, now_s=now)
        self.front_door = front_door_bucket(self.system.front_door, now_s=now)
        # Dimensions use the system file's names, so observe reads the emulator as it reads AWS.
        self.names = MetricNames(
            settings.function_name, self.system.dynamodb.table, self.system.sqs.queue
        )
        self.publisher = MetricsPublisher(self.counters, self.names, settings.publish)
        self.scaling_actions: list[ScalingAction] = []
        self.ddb_hook = DynamoDBHook(self)
        self.sqs_hook = SqsHook(self)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._table_ready = False

    @property
    def on_demand(self) -> bool:
        """True for an on-demand table (no provisioned units to emulate)."""
        return self.capacity.on_demand

    @property
    def write_scaler(self) -> AutoScaler | None:
        return self.capacity.write_scaler

    @property
    def read_scaler(self) -> AutoScaler | None:
        return self.capacity.read_scaler

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
            self.publisher.start(math.floor(t0))
            self.capacity.reset(t0)
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
        self.pool.set_recycling(
            self.timeline.first(self.run_time(now), FaultKind.COLD_START_STORM) is not None
        )
        self.capacity.set_storm(now, factor)

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
        """None when a write is admitted (and charged); else why DynamoDB throttles it
        (:meth:`TableCapacity.write_refusal`, a throttle storm applied first)."""
        with self._lock:
            self._sync_storm(now)
            return self.capacity.write_refusal(units, now, key)

    def read_has_capacity(self, now: float, key: str | None = None) -> bool:
        """True when a read may go ahead (positive read balance)."""
        return self.read_refusal(now, key) is None

    def read_refusal(self, now: float, key: str | None = None) -> ThrottleReason | None:
        """None when a read may go ahead; else the reason (:meth:`TableCapacity.read_refusal`)."""
        with self._lock:
            self._sync_storm(now)
            return self.capacity.read_refusal(now, key)

    def charge_read(self, units: float, now: float, key: str | None = None) -> None:
        """Charge an admitted read after the fact (as much as the balance holds)."""
        self.capacity.charge_read(units, now, key)

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
        self.counters.gauge_max(now, Figure.LAMBDA_CONCURRENCY, busy)
        return adm

    def release_lambda(self, now: float) -> None:
        """An admitted invocation finished; its environment is idle from ``now``."""
        with self._lock:
            self.pool.release(now, 1)

    def provisioned_now(self) -> tuple[float | None, float | None]:
        """(WCU, RCU) in force now, a throttle storm included; None for on-demand tables."""
        return self.capacity.provisioned_now()

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
                if not self._table_ready and self.capacity.table_wcu is not None:
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
                    self.publisher.publish(cw, math.floor(now))
            except Exception:  # the metrics thread must survive any one failure
                log.exception("governor metrics failed")
        try:
            self.publisher.publish(cw, math.floor(self.clock()) + 1)
        except Exception:  # a failed flush must not break shutdown
            log.exception("final metrics publish failed")

    def _sample(self, now: float) -> None:
        with self._lock:
            self._sync_storm(now)
        self.counters.gauge_max(now, Figure.LAMBDA_CONCURRENCY, self.pool.busy)
        wcu, rcu = self.provisioned_now()
        if wcu is not None and rcu is not None:
            self.counters.gauge_last(now, Figure.DDB_PROVISIONED_WCU, wcu)
            self.counters.gauge_last(now, Figure.DDB_PROVISIONED_RCU, rcu)

    def _sample_queue(self, sqs: Any, now: float) -> None:
        if not self.app_settings.queue_url:
            return
        try:
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.app_settings.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        except (BotoCoreError, ClientError):
            return
        self.counters.gauge_last(now, Figure.SQS_DEPTH, float(attrs["ApproximateNumberOfMessages"]))

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
        wcu, rcu = self.capacity.table_wcu, self.capacity.table_rcu
        assert wcu is not None and rcu is not None
        try:
            desc = ddb.describe_table(TableName=self.system.dynamodb.table)["Table"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return False  # not provisioned yet; try again next tick
            raise
        mode = desc.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        set_table_capacity(ddb, desc, wcu, rcu, mode != "PROVISIONED")
        return True

    def _step_autoscaling(self, ddb: Any, now: float) -> None:
        if self.t0 is None:
            return
        t = self.run_time(now)
        for dim in DIMENSIONS:
            for ev in self.capacity.close_datapoints(dim, t):
                self._apply(ddb, dim, ev.provisioned, now)
                action = ScalingAction(
                    dimension=dim,
                    direction=ev.direction,
                    decided_t_s=ev.decided_s,
                    effective_t_s=ev.effective_s,
                    applied_t_s=round(t, 3),
                    applied_epoch_s=now,
                    to_units=ev.provisioned,
                )
                self.scaling_actions.append(action)
                log.warning("auto scaling applied: %s", action.model_dump_json())

    def _apply(self, ddb: Any, dim: str, units: float, now: float) -> None:
        """Put a decision in force, then tell the backend (``UpdateTable``)."""
        wcu, rcu = self.capacity.apply(dim, units, now)
        try:
            desc = ddb.describe_table(TableName=self.system.dynamodb.table)["Table"]
            set_table_capacity(ddb, desc, wcu, rcu, False)
        except (BotoCoreError, ClientError) as exc:
            log.warning("UpdateTable failed: %s", exc)

    # -- control ------------------------------------------------------------------------------
    def add_faults(self, faults: list[Fault], *, from_now: bool = False) -> float:
        """Add faults to the running timeline (``from_now``: their ``at`` counts from now, not
        from run time 0; the run clock starts here if it has not); returns the run time."""
        now = self.clock()
        self.ensure_started(now)
        t = self.run_time(now)
        if from_now:
            faults = [f.model_copy(update={"at_s": f.at_s + t}) for f in faults]
        self.timeline.add(faults)
        self._settle(now)
        return t

    def clear_faults(self) -> list[int]:
        """End every active fault now and cancel pending ones (a rollback); their indexes."""
        now = self.clock()
        ended = self.timeline.clear(self.run_time(now))
        self._settle(now)
        return [e.index for e in ended]

    def _settle(self, now: float) -> None:
        """Apply a change of the timeline at once, not at the ticker's next second."""
        self.sync(now)
        self._step_faults(now)

    def faults_now(self) -> tuple[float, list[int]]:
        """(run time, indexes of the faults active now)."""
        t = self.run_time(self.clock())
        return t, [e.index for e in self.timeline.active(t)]

    def snapshot(self, since: int | None = None) -> GovernorMetrics:
        """The per-second figures and journals (what ``GET /_governor/metrics`` serves)."""
        wcu, rcu = self.provisioned_now()
        return GovernorMetrics(
            function_name=self.names.function_name,
            table=self.names.table_name,
            queue=self.names.queue_name,
            t0_epoch_s=self.t0,
            scale=self.settings.scale,
            seconds=self.counters.seconds(since),
            totals=dict(self.counters.totals),
            throttles_by_cause=dict(self.counters.throttles_by_cause),
            faults=[e.record() for e in self.timeline.journal],
            scaling_actions=list(self.scaling_actions),
            scaling_datapoints=self.capacity.datapoints(),
            cloudwatch_publish_failures=self.publisher.failures,
            state=GovernorState(
                lambda_busy=self.pool.busy,
                lambda_environments=self.pool.environments,
                lambda_cap=self.pool.cap,
                provisioned_wcu=wcu,
                provisioned_rcu=rcu,
            ),
        )
