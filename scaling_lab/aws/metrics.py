"""Every per-second figure of a run, defined once: its name, how readings combine, and the
CloudWatch metric it is published as and read back from.

The model fills these figures, the emulator's governor counts them (and publishes them to
CloudWatch under AWS's names), and observe reads them from CloudWatch or the governor's
endpoint; all of them take the names, the combination rule and the metric table from here.
Metric names, dimensions and units are AWS's own:
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CLOUDWATCH_METRICS",
    "COUNTERS",
    "EMULATOR_NAMESPACE",
    "FIGURES",
    "GAUGES_LAST",
    "GAUGES_MAX",
    "INTEGER_FIGURES",
    "OBSERVABLE_FIGURES",
    "RESULT_FIGURES",
    "CloudWatchMetric",
    "Combine",
    "Dimension",
    "Figure",
    "FigureDef",
    "cloudwatch_metric",
]

#: Namespace of figures AWS does not publish (cold starts, SDK retries): the emulator's only.
EMULATOR_NAMESPACE = "ScalingLab/Emulator"


class Figure(StrEnum):
    """Per-second figures (the fields of ``scaling_lab.result.SecondSample``, and the
    governor's counters that feed them)."""

    LAMBDA_CONCURRENCY = "lambda_concurrency"
    LAMBDA_INVOCATIONS = "lambda_invocations"
    LAMBDA_THROTTLES = "lambda_throttles"
    COLD_STARTS = "cold_starts"
    DDB_CONSUMED_WCU = "ddb_consumed_wcu"
    DDB_PROVISIONED_WCU = "ddb_provisioned_wcu"
    DDB_CONSUMED_RCU = "ddb_consumed_rcu"
    DDB_PROVISIONED_RCU = "ddb_provisioned_rcu"
    DDB_THROTTLED = "ddb_throttled"
    DDB_RETRIES = "ddb_retries"
    SQS_DEPTH = "sqs_depth"
    DROPPED_ITERATIONS = "dropped_iterations"
    # Counted by the governor and CloudWatch, not result fields: the two throttle events
    # add up to ``ddb_throttled``; the rest are the emulator's own bookkeeping.
    DDB_WRITE_THROTTLES = "ddb_write_throttles"
    DDB_READ_THROTTLES = "ddb_read_throttles"
    DDB_INJECTED_ERRORS = "ddb_injected_errors"
    LAMBDA_INJECTED_ERRORS = "lambda_injected_errors"
    FRONT_DOOR_THROTTLES = "front_door_throttles"


class Combine(StrEnum):
    """How several readings within one second (or period) make one value."""

    SUM = "sum"  # a counter
    MAX = "max"  # a gauge: the highest reading (CloudWatch statistic Maximum)
    LAST = "last"  # a level: the last reading (read back as Maximum)


class Dimension(StrEnum):
    """The CloudWatch dimension a metric is published with (the resource it is about)."""

    FUNCTION = "FunctionName"
    TABLE = "TableName"
    QUEUE = "QueueName"


@dataclass(frozen=True)
class CloudWatchMetric:
    """A CloudWatch metric: where it lives and which statistic reads it back."""

    namespace: str
    name: str
    dimension: Dimension
    #: only provisioned tables publish it
    provisioned_only: bool = False

    @property
    def emulator_only(self) -> bool:
        return self.namespace == EMULATOR_NAMESPACE


@dataclass(frozen=True)
class FigureDef:
    """One figure's rules."""

    combine: Combine
    #: counts whole things (stored as an integer); consumed capacity units may be fractional
    integer: bool
    #: a field of a result's seconds (the governor-only counters are not)
    in_result: bool = True
    #: observation can fill it (CloudWatch or the governor); the load generator's own is not
    observable: bool = True
    cloudwatch: CloudWatchMetric | None = None
    #: the result figure it adds up into (DynamoDB's write and read throttle events)
    part_of: Figure | None = None

    @property
    def stat(self) -> str:
        """The CloudWatch statistic that reads it back."""
        return "Sum" if self.combine is Combine.SUM else "Maximum"


def _cw(ns: str, name: str, dim: Dimension, provisioned_only: bool = False) -> CloudWatchMetric:
    return CloudWatchMetric(ns, name, dim, provisioned_only)


_L, _D, _Q = "AWS/Lambda", "AWS/DynamoDB", "AWS/SQS"
_F, _T, _S = Dimension.FUNCTION, Dimension.TABLE, Dimension.QUEUE

FIGURES: dict[Figure, FigureDef] = {
    Figure.LAMBDA_CONCURRENCY: FigureDef(
        Combine.MAX, False, cloudwatch=_cw(_L, "ConcurrentExecutions", _F)
    ),
    Figure.LAMBDA_INVOCATIONS: FigureDef(Combine.SUM, True, cloudwatch=_cw(_L, "Invocations", _F)),
    Figure.LAMBDA_THROTTLES: FigureDef(Combine.SUM, True, cloudwatch=_cw(_L, "Throttles", _F)),
    Figure.COLD_STARTS: FigureDef(
        Combine.SUM, True, cloudwatch=_cw(EMULATOR_NAMESPACE, "ColdStarts", _F)
    ),
    Figure.DDB_CONSUMED_WCU: FigureDef(
        Combine.SUM, False, cloudwatch=_cw(_D, "ConsumedWriteCapacityUnits", _T)
    ),
    Figure.DDB_PROVISIONED_WCU: FigureDef(
        Combine.LAST, False, cloudwatch=_cw(_D, "ProvisionedWriteCapacityUnits", _T, True)
    ),
    Figure.DDB_CONSUMED_RCU: FigureDef(
        Combine.SUM, False, cloudwatch=_cw(_D, "ConsumedReadCapacityUnits", _T)
    ),
    Figure.DDB_PROVISIONED_RCU: FigureDef(
        Combine.LAST, False, cloudwatch=_cw(_D, "ProvisionedReadCapacityUnits", _T, True)
    ),
    Figure.DDB_THROTTLED: FigureDef(Combine.SUM, True),
    Figure.DDB_RETRIES: FigureDef(
        Combine.SUM, True, cloudwatch=_cw(EMULATOR_NAMESPACE, "DynamoDBRetries", _T)
    ),
    Figure.SQS_DEPTH: FigureDef(
        Combine.LAST, True, cloudwatch=_cw(_Q, "ApproximateNumberOfMessagesVisible", _S)
    ),
    Figure.DROPPED_ITERATIONS: FigureDef(Combine.SUM, True, observable=False),
    Figure.DDB_WRITE_THROTTLES: FigureDef(
        Combine.SUM,
        True,
        in_result=False,
        cloudwatch=_cw(_D, "WriteThrottleEvents", _T),
        part_of=Figure.DDB_THROTTLED,
    ),
    Figure.DDB_READ_THROTTLES: FigureDef(
        Combine.SUM,
        True,
        in_result=False,
        cloudwatch=_cw(_D, "ReadThrottleEvents", _T),
        part_of=Figure.DDB_THROTTLED,
    ),
    Figure.DDB_INJECTED_ERRORS: FigureDef(Combine.SUM, True, in_result=False, observable=False),
    Figure.LAMBDA_INJECTED_ERRORS: FigureDef(Combine.SUM, True, in_result=False, observable=False),
    Figure.FRONT_DOOR_THROTTLES: FigureDef(Combine.SUM, True, in_result=False, observable=False),
}


def _names(pred: Callable[[FigureDef], bool]) -> tuple[str, ...]:
    return tuple(f.value for f, d in FIGURES.items() if pred(d))


#: The figures of a result's seconds, in the result's order.
RESULT_FIGURES = _names(lambda d: d.in_result)
#: Result figures by how readings combine (the governor's counters include the rest).
GAUGES_MAX = _names(lambda d: d.in_result and d.combine is Combine.MAX)
GAUGES_LAST = _names(lambda d: d.in_result and d.combine is Combine.LAST)
COUNTERS = _names(lambda d: d.in_result and d.combine is Combine.SUM)
#: Result figures that count whole things.
INTEGER_FIGURES = frozenset(_names(lambda d: d.in_result and d.integer))
#: Result figures observation can fill (every one but the load generator's own).
OBSERVABLE_FIGURES = _names(lambda d: d.in_result and d.observable)
#: (figure, metric) for every figure published to CloudWatch.
CLOUDWATCH_METRICS: tuple[tuple[Figure, CloudWatchMetric], ...] = tuple(
    (f, d.cloudwatch) for f, d in FIGURES.items() if d.cloudwatch is not None
)


def cloudwatch_metric(figure: Figure) -> CloudWatchMetric:
    """The CloudWatch metric a figure is published as (KeyError: it is not published)."""
    metric = FIGURES[figure].cloudwatch
    if metric is None:
        raise KeyError(f"{figure.value} has no CloudWatch metric")
    return metric
