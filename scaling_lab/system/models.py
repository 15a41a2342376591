"""SystemConfig: the AWS configuration that the model and the emulator both read.

Every default below is either an AWS-documented number (source URL next to it) or an explicit
assumption meant to be replaced by ``scaling-lab calibrate`` (marked ASSUMPTION).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scaling_lab.scenario.models import Duration, Endpoint
from scaling_lab.system.distributions import Distribution, LogNormal

__all__ = [
    "AutoScaling",
    "CapacitySettings",
    "DynamoDBConfig",
    "DynamoDBMode",
    "FrontDoor",
    "FrontDoorKind",
    "GsiConfig",
    "IndexKey",
    "LambdaConfig",
    "LambdaScaling",
    "PartitionLayout",
    "RetryMode",
    "ScalingRule",
    "SdkConfig",
    "SqsConfig",
    "SqsConsumer",
    "SystemConfig",
    "WarmThroughput",
]

# Sources, referenced by the fields below.
LAMBDA_SCALING_URL = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html"
LAMBDA_QUOTAS_URL = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
LAMBDA_COLD_START_URL = (
    "https://docs.aws.amazon.com/lambda/latest/operatorguide/execution-environments.html"
)
APIGW_THROTTLE_URL = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html"
DDB_CAPACITY_URL = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html"
DDB_BURST_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html"
)
DDB_AUTOSCALING_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html"
)
DDB_QUOTAS_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html"
)
DDB_AUTOSCALING_KC_URL = "https://repost.aws/knowledge-center/dynamodb-auto-scaling"
CW_ALARM_ACTIONS_URL = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html"
)
# Application Auto Scaling's default cooldowns: "For all other scalable targets, the default
# value is Duration.seconds(0): DynamoDB tables, DynamoDB global secondary indexes, ..."
AAS_COOLDOWN_URL = "https://docs.aws.amazon.com/cdk/api/v1/python/aws_cdk.aws_dynamodb/UtilizationScalingProps.html"
DDB_ON_DEMAND_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html"
)
DDB_WARM_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput.html"
)
DDB_WARM_SCENARIOS_URL = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html"
LAMBDA_RESERVED_URL = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"
UNRESERVED_MIN = 100
SQS_ESM_URL = "https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"
DDB_QUERY_URL = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html"
BOTOCORE_RETRY_URL = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScalingRule(StrEnum):
    RULE_2023 = "2023"  # 1,000 environments per 10 s per function (Nov 2023 onward)
    LEGACY = "legacy"  # regional burst 500/1,000/3,000 then +500 per minute


class LambdaScaling(_Strict):
    rule: ScalingRule = ScalingRule.RULE_2023
    # "each synchronously invoked function can scale by 1,000 concurrent executions every
    # 10 seconds" -- LAMBDA_SCALING_URL
    envs_per_interval: int = Field(1000, gt=0)
    interval_s: Duration = Field(10.0, ge=0.001)  # the model's tick is 1 ms
    # Legacy rule (before Nov 2023): initial burst 3,000 (us-east-1, us-west-2, eu-west-1),
    # 1,000 (ap-northeast-1, eu-central-1, us-east-2), 500 elsewhere; then +500 per minute.
    # https://docs.aws.amazon.com/lambda/latest/dg/burst-concurrency.html (archived 2023)
    legacy_initial_burst: int = Field(3000, gt=0)
    legacy_per_minute: int = Field(500, gt=0)


_DEFAULT_SERVICE_TIMES: dict[Endpoint, Distribution] = {
    Endpoint.POST_EVENTS: LogNormal(median_ms=18.0, sigma=0.35),
    Endpoint.GET_INBOX: LogNormal(median_ms=12.0, sigma=0.35),
    Endpoint.ACK: LogNormal(median_ms=10.0, sigma=0.35),
}


class LambdaConfig(_Strict):
    memory_mb: int = Field(512, ge=128, le=10240)  # LAMBDA_QUOTAS_URL: 128 MB to 10,240 MB
    # Default account concurrency quota: 1,000 per Region -- LAMBDA_QUOTAS_URL
    account_concurrency: int = Field(1000, gt=0)
    reserved_concurrency: int | None = Field(None, ge=0)
    # Concurrency Lambda keeps unreserved (100 -- LAMBDA_RESERVED_URL); scaled with --scale.
    unreserved_min: int = Field(UNRESERVED_MIN, ge=0)
    provisioned_concurrency: int = Field(0, ge=0)
    scaling: LambdaScaling = Field(default_factory=LambdaScaling)
    # "each execution environment can handle up to 10 requests per second"; the function's RPS
    # limit is 10 x its concurrency -- LAMBDA_SCALING_URL ("Concurrency and requests per second")
    rps_per_environment: float = Field(10.0, gt=0)
    # Cold starts "vary from under 100 ms to over 1 second" -- LAMBDA_COLD_START_URL.
    # ASSUMPTION: median 250 ms, sigma 0.4 within that range; calibrate from observed runs.
    cold_start_ms: Distribution = Field(
        default_factory=lambda: LogNormal(median_ms=250.0, sigma=0.4)
    )
    # ASSUMPTION: handler time per endpoint when nothing throttles (includes its DynamoDB/SQS
    # calls at their unthrottled latency); calibrate from observed runs.
    service_time_ms: dict[Endpoint, Distribution] = Field(
        default_factory=lambda: dict(_DEFAULT_SERVICE_TIMES),
        description="per endpoint; endpoints left out keep their default",
    )
    # ASSUMPTION: AWS does not document when idle environments are reclaimed; commonly observed
    # between 5 and 15 minutes (LAMBDA_COLD_START_URL: "not guaranteed").
    idle_reclaim_s: Duration = 600.0
    timeout_s: Duration = Field(30.0, gt=0)  # function timeout (max 900 s -- LAMBDA_QUOTAS_URL)

    @field_validator("service_time_ms", mode="after")
    @classmethod
    def _every_endpoint(cls, value: dict[Endpoint, Distribution]) -> dict[Endpoint, Distribution]:
        # A file that sets one endpoint's service time must not leave the others undefined.
        return {**_DEFAULT_SERVICE_TIMES, **value}

    @model_validator(mode="after")
    def _caps(self) -> LambdaConfig:
        if self.reserved_concurrency is not None:
            # "Lambda requires at least 100 unreserved concurrency" (an account quota increase
            # is needed to reserve 1,000) -- LAMBDA_RESERVED_URL
            if self.reserved_concurrency > self.account_concurrency - self.unreserved_min:
                raise ValueError(
                    f"reserved_concurrency {self.reserved_concurrency} leaves less than "
                    f"{self.unreserved_min} unreserved of account_concurrency "
                    f"{self.account_concurrency}; AWS requires at least {UNRESERVED_MIN}"
                )
            if self.provisioned_concurrency > self.reserved_concurrency:
                raise ValueError("provisioned_concurrency exceeds reserved_concurrency")
        elif self.provisioned_concurrency > self.account_concurrency:
            raise ValueError("provisioned_concurrency exceeds account_concurrency")
        return self

    @property
    def concurrency_cap(self) -> int:
        """Hard cap on concurrent environments: reserved if set, else the account limit."""
        if self.reserved_concurrency is not None:
            return self.reserved_concurrency
        return self.account_concurrency


class FrontDoorKind(StrEnum):
    FUNCTION_URL = "function_url"
    API_GATEWAY = "api_gateway"


class FrontDoor(_Strict):
    kind: FrontDoorKind = FrontDoorKind.FUNCTION_URL
    # API Gateway account-level throttle: 10,000 requests/s steady, burst 5,000 (token bucket)
    # -- APIGW_THROTTLE_URL. Function URLs have no throttle of their own (Lambda's apply).
    rate_per_s: float = Field(10_000.0, gt=0)
    burst: int = Field(5_000, gt=0)


class DynamoDBMode(StrEnum):
    PROVISIONED = "provisioned"
    ON_DEMAND = "on_demand"


SECONDS_PER_DAY = 86_400.0
# ASSUMPTION: a throttled DynamoDB call takes 4 ms (one round trip) before the SDK sleeps;
# undocumented: the default of DynamoDBConfig.throttled_call_ms, calibratable.
DDB_THROTTLED_CALL_MS = 4.0


class AutoScaling(_Strict):
    """Target tracking on consumed capacity -- DDB_AUTOSCALING_URL, DDB_AUTOSCALING_KC_URL."""

    enabled: bool = True
    min: float = Field(gt=0)
    max: float = Field(gt=0)
    target_utilization_pct: float = Field(70.0, ge=20, le=90)  # allowed 20-90 %
    # "DynamoDB auto scaling increases provisioned capacity when utilization exceeds [the
    # target] for at least 2 consecutive minutes ... decreases provisioned capacity when
    # utilization is 20% or more below the target for 15 consecutive minutes"
    # -- DDB_AUTOSCALING_KC_URL.
    scale_out_datapoints: int = Field(2, ge=1)
    scale_in_datapoints: int = Field(15, ge=1)
    scale_in_margin_pct: float = Field(20.0, ge=0)
    # CloudWatch's finest metric resolution is 1 s (high-resolution metrics)
    datapoint_s: Duration = Field(60.0, ge=1)
    # ASSUMPTION: how long after a datapoint's period ends the alarm sees it (CloudWatch
    # publishes DynamoDB's 1-minute metrics after the minute; no documented figure). Calibrate.
    metric_delay_s: Duration = Field(60.0, ge=0)
    # ASSUMPTION: time from the alarm's action to UpdateTable taking effect; not documented,
    # calibrate.
    actuation_delay_s: Duration = Field(30.0, ge=0)
    # "Except for Auto Scaling actions, the actions happen only on state transitions"
    # -- CW_ALARM_ACTIONS_URL: while the alarm stays in ALARM the policy is invoked at every
    # evaluation, so capacity keeps stepping up. Cooldowns between activities default to 0 s for
    # DynamoDB tables and GSIs -- AAS_COOLDOWN_URL.
    scale_out_cooldown_s: Duration = Field(0.0, ge=0)
    scale_in_cooldown_s: Duration = Field(0.0, ge=0)
    # Decreases: "up to four times, anytime per day. A day is defined according to UTC.
    # Additionally, if there was no decrease in the past hour, an additional decrease is
    # allowed" (27 a day at most) -- DDB_QUOTAS_URL ("Decreasing provisioned throughput").
    scale_in_anytime_per_day: int = Field(4, ge=0)
    scale_in_extra_after_s: Duration = Field(3600.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _legacy_budget(cls, data: Any) -> Any:
        """Files written before the documented decrease schedule carry one flat
        ``scale_in_per_day`` (default 27, which the schedule reaches): read it as the
        any-time allowance with no hourly extras, unless it is the old default."""
        if isinstance(data, dict) and "scale_in_per_day" in data:
            data = dict(data)
            n = data.pop("scale_in_per_day")
            if n != 27 and "scale_in_anytime_per_day" not in data:
                data["scale_in_anytime_per_day"] = n
                # an extra decrease "a day after the last" never comes within the UTC day
                data.setdefault("scale_in_extra_after_s", SECONDS_PER_DAY)
        return data

    @model_validator(mode="after")
    def _ordered(self) -> AutoScaling:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class CapacitySettings(_Strict):
    provisioned: float = Field(gt=0, description="initial provisioned units")
    auto_scaling: AutoScaling | None = None


class IndexKey(StrEnum):
    """What an index's partition key is made of (how a tenant's traffic spreads over it)."""

    TENANT = "tenant"  # one key value per tenant: a tenant's writes all go to one key
    TENANT_AND_EVENT_TYPE = "tenant_and_event_type"  # a tenant's writes split over its types
    OTHER = "other"  # keys unrelated to the tenant: spread evenly (no hot key from tenants)


class WarmThroughput(_Strict):
    """Units per second a table or index serves at once (DescribeTable -> WarmThroughput)
    -- DDB_WARM_URL. Pre-warming raises them before a peak."""

    write_units_per_s: float = Field(gt=0, allow_inf_nan=False)
    read_units_per_s: float = Field(gt=0, allow_inf_nan=False)


class GsiConfig(_Strict):
    name: str
    projection: Literal["all", "keys_only", "include"] = "all"
    projected_bytes: int | None = Field(None, ge=0, description="item size in the index")
    key: IndexKey = Field(IndexKey.TENANT, description="what the index's partition key holds")
    # None: provisioned (and auto scaled) like the table's write capacity -- ASSUMPTION that
    # matches how staging is set up; give the index its own when it differs.
    write: CapacitySettings | None = None
    warm_throughput: WarmThroughput | None = None


class PartitionLayout(StrEnum):
    """How the instant ceiling of a table (and of each index) is found."""

    WARM_THROUGHPUT = "warm_throughput"  # DescribeTable's WarmThroughput (documented today)
    # ceil(WCU / 1,000 + RCU / 3,000) partitions: removed from the developer guide in 2018
    LEGACY_FORMULA = "legacy_formula"


class DynamoDBConfig(_Strict):
    mode: DynamoDBMode = DynamoDBMode.PROVISIONED
    table: str = "triggers-events"
    write: CapacitySettings | None = None
    read: CapacitySettings | None = None
    # Item = payload + attributes the API adds (ids, tenant, status, timestamps, keys).
    # ASSUMPTION until measured on the app's real items; see docs/system-reference.md.
    item_overhead_bytes: int = Field(220, ge=0)
    # The Triggers API's two sparse inbox indexes (emulator/app/store.py): ``inbox`` keyed by
    # tenant, ``inbox_by_type`` by tenant + event type.
    gsis: list[GsiConfig] = Field(
        default_factory=lambda: [
            GsiConfig(name="inbox"),
            GsiConfig(name="inbox_by_type", key=IndexKey.TENANT_AND_EVENT_TYPE),
        ]
    )
    # The table's instant ceiling: its warm throughput -- DDB_WARM_URL ("the number of read
    # and write operations your DynamoDB table can instantaneously support"); None: for an
    # on-demand table the documented 4,000 / 12,000 of a new table (on_demand_warm_*), for a
    # provisioned one the same baseline or its provisioned units if higher (ASSUMPTION: AWS
    # documents no default for provisioned tables; read DescribeTable and set it). It grows:
    # "As you increase the provisioned throughput beyond these values, the warm throughput
    # will automatically adjust to the new higher values" -- DDB_WARM_SCENARIOS_URL.
    warm_throughput: WarmThroughput | None = None
    layout: PartitionLayout = PartitionLayout.WARM_THROUGHPUT
    # An explicit partition count (ceiling = partitions x the per-partition limits); with
    # layout legacy_formula and no count, ceil(WCU / 1,000 + RCU / 3,000) from the old guide.
    partitions: int | None = Field(None, ge=1)
    # Per-partition hard limits, 1,000 write and 3,000 read units per second: "each individual
    # partition is limited to 1,000 write units per second and 3,000 read units per second"
    # -- DDB_WARM_SCENARIOS_URL; also the limit of one partition key value (hot keys).
    partition_wcu: float = Field(1000.0, gt=0)
    partition_rcu: float = Field(3000.0, gt=0)
    # Burst capacity: up to 300 seconds of unused read and write capacity -- DDB_BURST_URL
    burst_window_s: Duration = 300.0
    # On-demand: a new table sustains 4,000 writes/s and 12,000 reads/s, and serves up to
    # double the previous peak instantly -- DDB_ON_DEMAND_URL
    on_demand_warm_wcu: float = Field(4000.0, gt=0)
    on_demand_warm_rcu: float = Field(12000.0, gt=0)
    # Per-table quota of an on-demand table: 40,000 read and 40,000 write request units per
    # second -- DDB_QUOTAS_URL ("Read/write throughput"); the ceiling 2 x the peak grows to.
    on_demand_table_max_units: float = Field(40000.0, gt=0)
    # How old a second's traffic must be to count as the "previous peak" an on-demand table
    # doubles. DDB_ON_DEMAND_URL: "instantly accommodates up to double the previous peak"
    # and "throttling can occur if you exceed double your previous peak within 30 minutes".
    # ASSUMPTION (AWS gives no rule beyond these sentences): a peak counts once it is this
    # old, so within any 30 minutes traffic reaches at most twice the peak before them (a
    # peak that counted at once would let traffic double every second). Calibrate it from a
    # staging step: the time until a table serves twice the level it held.
    on_demand_peak_age_s: Duration = Field(1800.0, ge=1)
    # 0.5 RCU per 4 KB -- DDB_CAPACITY_URL. The inbox Query reads the ``inbox`` global
    # secondary index, and "Strongly consistent reads are not supported on global secondary
    # indexes. If you query a global secondary index with ConsistentRead set to true, you
    # will receive a ValidationException" -- DDB_QUERY_URL: only true is accepted.
    eventually_consistent_reads: bool = True
    # How long a throttled call takes before the SDK sleeps (ms). ASSUMPTION on AWS: one
    # round trip, 4 ms (undocumented; calibrate). The local stack refuses a throttled call in
    # botocore's before-send hook, before anything is sent: 0 there (verify predicts a local
    # run with it). It sets when a retry comes round, and so which request gets a hot key's
    # next unit (docs/validation.md).
    throttled_call_ms: float = Field(DDB_THROTTLED_CALL_MS, ge=0, le=10_000)

    @property
    def initial_partitions(self) -> int:
        """Partitions of the legacy formula (or the given count): ceil(WCU / 1,000 + RCU /
        3,000) of the initial throughput (on-demand: of the warm throughput)."""
        if self.partitions is not None:
            return self.partitions
        if self.mode is DynamoDBMode.PROVISIONED and self.write and self.read:
            wcu, rcu = self.write.provisioned, self.read.provisioned
        else:
            wcu, rcu = self.on_demand_warm_wcu, self.on_demand_warm_rcu
        return max(1, math.ceil(wcu / self.partition_wcu + rcu / self.partition_rcu - 1e-9))

    def instant_ceiling(self, *, write: bool) -> float:
        """Units per second the table serves at once at the start of a run (before any
        throughput increase): warm throughput, a partition count, or the legacy formula."""
        per = self.partition_wcu if write else self.partition_rcu
        if self.partitions is not None or self.layout is PartitionLayout.LEGACY_FORMULA:
            return self.initial_partitions * per
        if self.warm_throughput is not None:
            w = self.warm_throughput
            return w.write_units_per_s if write else w.read_units_per_s
        baseline = self.on_demand_warm_wcu if write else self.on_demand_warm_rcu
        if self.mode is DynamoDBMode.ON_DEMAND:
            return baseline
        cap = self.write if write else self.read
        return max(baseline, cap.provisioned) if cap is not None else baseline

    @model_validator(mode="after")
    def _capacity(self) -> DynamoDBConfig:
        if self.mode is DynamoDBMode.PROVISIONED and (self.write is None or self.read is None):
            raise ValueError("provisioned mode needs 'write' and 'read' capacity settings")
        if not self.eventually_consistent_reads:
            raise ValueError(
                "eventually_consistent_reads: the inbox query reads a global secondary index, "
                "which serves only eventually consistent reads (a strongly consistent Query "
                f"there is a ValidationException, {DDB_QUERY_URL})"
            )
        return self


class SqsConsumer(_Strict):
    """The delivery worker: a Lambda behind an SQS event source mapping -- SQS_ESM_URL."""

    batch_size: int = Field(10, ge=1, le=10000)
    # Lambda adds up to 300 concurrent executions per minute when reading from a standard queue,
    # up to 1,250 (or the function's cap) -- SQS_ESM_URL ("Scaling and processing").
    scale_per_minute: int = Field(300, gt=0)
    max_concurrency: int = Field(1250, gt=0)
    initial_pollers: int = Field(5, gt=0)  # "Lambda starts with five ... batches" -- SQS_ESM_URL
    service_time_ms: Distribution = Field(
        default_factory=lambda: LogNormal(median_ms=25.0, sigma=0.3)  # ASSUMPTION
    )

    @model_validator(mode="after")
    def _takes_time(self) -> SqsConsumer:
        if self.service_time_ms.mean_ms() <= 0:
            raise ValueError("service_time_ms: the consumer's mean time per batch must be > 0 ms")
        return self


class SqsConfig(_Strict):
    queue: str = "triggers-delivery"
    consumer: SqsConsumer = Field(default_factory=SqsConsumer)


class RetryMode(StrEnum):
    LEGACY = "legacy"
    STANDARD = "standard"


class SdkConfig(_Strict):
    """botocore retry behaviour -- BOTOCORE_RETRY_URL and botocore/data/_retry.json.

    legacy: DynamoDB 10 attempts, delay 50 ms x 2^(n-1) (botocore _retry.json 'dynamodb');
    standard: 3 attempts, full jitter, base 1 s (x 2^n), capped at 20 s, retry quota 500.
    """

    retry_mode: RetryMode = RetryMode.LEGACY
    max_attempts: int | None = Field(None, ge=1, le=100)

    @property
    def effective_max_attempts(self) -> int:
        if self.max_attempts is not None:
            return self.max_attempts
        return 10 if self.retry_mode is RetryMode.LEGACY else 3


class SystemConfig(_Strict):
    """The AWS side of a run: what the model simulates and the emulator imposes."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    region: str = "us-east-1"
    front_door: FrontDoor = Field(default_factory=FrontDoor)
    lambda_: LambdaConfig = Field(default_factory=LambdaConfig, alias="lambda")
    dynamodb: DynamoDBConfig = Field(
        default_factory=lambda: DynamoDBConfig(mode=DynamoDBMode.ON_DEMAND)
    )
    sqs: SqsConfig = Field(default_factory=SqsConfig)
    sdk: SdkConfig = Field(default_factory=SdkConfig)
