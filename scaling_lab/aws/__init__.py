"""The AWS rulebook: every AWS rule scaling-lab knows, as small state machines driven by ``now_s``.

No SimPy, no clock, no randomness: the model's two modes and the emulator's governor drive the
same classes, so a rule is written once and validated once (tests/validation). Each module
cites the AWS page that states its rules; anything AWS does not state is marked ASSUMPTION
and is a setting of the system file, so it can be calibrated.

- :mod:`~scaling_lab.aws.lambda_scaling`: execution environments -- scaling rate (2023 and
  legacy), concurrency caps, request-rate cap, provisioned concurrency, idle reclaim.
- :mod:`~scaling_lab.aws.apigateway`: the front door's token bucket.
- :mod:`~scaling_lab.aws.dynamodb`: capacity units, burst credit, partitions, on-demand, auto
  scaling.
- :mod:`~scaling_lab.aws.retry`: botocore's retry schedules and retry quota.
- :mod:`~scaling_lab.aws.sqs`: queue depth and the event source mapping's consumer scaling.
- :mod:`~scaling_lab.aws.throttles`: :class:`ThrottleCause`, the one name of every refusal.
- :mod:`~scaling_lab.aws.buckets`: the token bucket all rate limits are made of.
"""

from scaling_lab.aws.apigateway import front_door_bucket
from scaling_lab.aws.buckets import TokenBucket
from scaling_lab.aws.cloudwatch import PUT_METRIC_DATA_MAX_DATUMS
from scaling_lab.aws.dynamodb import (
    DDB_THROTTLED_CALL_MS,
    DYNAMODB_MAX_ITEM_BYTES,
    HOT_KEY_FRACTION,
    AutoScaler,
    BurstBucket,
    KeyLimits,
    OnDemandLimiter,
    ScalingEvent,
    ThrottleReason,
    couple_on_demand,
    gsi_item_bytes,
    hot_keys,
    index_limiter,
    partition_key_bucket,
    read_units,
    table_limiter,
    update_units,
    write_units,
)
from scaling_lab.aws.lambda_scaling import REJECT_MS, Admission, LambdaEnvironments
from scaling_lab.aws.retry import RetryPolicy, RetryQuotaPool
from scaling_lab.aws.sqs import SqsConsumerScaling
from scaling_lab.aws.throttles import LAMBDA_CAUSES, ThrottleCause

__all__ = [
    "DDB_THROTTLED_CALL_MS",
    "DYNAMODB_MAX_ITEM_BYTES",
    "HOT_KEY_FRACTION",
    "LAMBDA_CAUSES",
    "PUT_METRIC_DATA_MAX_DATUMS",
    "REJECT_MS",
    "Admission",
    "AutoScaler",
    "BurstBucket",
    "KeyLimits",
    "LambdaEnvironments",
    "OnDemandLimiter",
    "RetryPolicy",
    "RetryQuotaPool",
    "ScalingEvent",
    "SqsConsumerScaling",
    "ThrottleCause",
    "ThrottleReason",
    "TokenBucket",
    "couple_on_demand",
    "front_door_bucket",
    "gsi_item_bytes",
    "hot_keys",
    "index_limiter",
    "partition_key_bucket",
    "read_units",
    "table_limiter",
    "update_units",
    "write_units",
]
