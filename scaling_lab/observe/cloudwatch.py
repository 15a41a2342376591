"""Read a run's CloudWatch metrics with GetMetricData (AWS or the emulator's CloudWatch).

Metric names and dimensions are AWS's own (the table in :mod:`scaling_lab.aws.metrics`);
resource names come from the system file (table, queue) and the caller (function name). Sources:
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scaling_lab.aws.cloudwatch import MetricDataReader
from scaling_lab.aws.metrics import (
    CLOUDWATCH_METRICS,
    EMULATOR_NAMESPACE,
    FIGURES,
    Dimension,
    Figure,
)
from scaling_lab.errors import EnvironmentProblem
from scaling_lab.observe.figures import Figures, FigureSeries
from scaling_lab.system.models import SystemConfig

__all__ = [
    "DEFAULT_FUNCTION_NAME",
    "EMULATOR_NAMESPACE",
    "MetricSpec",
    "collect_cloudwatch",
    "metric_specs",
]

DEFAULT_FUNCTION_NAME = "triggers-api"
# GetMetricData takes up to 500 queries per call (API reference above).
_MAX_QUERIES = 500


@dataclass(frozen=True)
class MetricSpec:
    """One CloudWatch metric and the result figure it feeds."""

    figure: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str

    def query(self, query_id: str, period_s: int) -> dict[str, Any]:
        """The ``MetricDataQueries`` entry."""
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
                },
                "Period": period_s,
                "Stat": self.stat,
            },
            "ReturnData": True,
        }


def metric_specs(
    system: SystemConfig,
    function_name: str = DEFAULT_FUNCTION_NAME,
    queue_name: str | None = None,
    emulator: bool = False,
) -> list[MetricSpec]:
    """What to read for a system; ``emulator`` adds the emulator-only namespace."""
    value = {
        Dimension.FUNCTION: function_name,
        Dimension.TABLE: system.dynamodb.table,
        Dimension.QUEUE: queue_name or system.sqs.queue,
    }
    provisioned = system.dynamodb.mode.value == "provisioned"
    specs = []
    for figure, metric in CLOUDWATCH_METRICS:
        if (metric.provisioned_only and not provisioned) or (metric.emulator_only and not emulator):
            continue
        dims = ((metric.dimension.value, value[metric.dimension]),)
        stat = FIGURES[figure].stat
        specs.append(MetricSpec(figure.value, metric.namespace, metric.name, dims, stat))
    return specs


def _epoch(ts: Any) -> int:
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return math.floor(float(ts.timestamp()))
    return math.floor(float(ts))


def collect_cloudwatch(
    client: MetricDataReader,
    system: SystemConfig,
    start: datetime,
    end: datetime,
    *,
    function_name: str = DEFAULT_FUNCTION_NAME,
    queue_name: str | None = None,
    period_s: int = 60,
    emulator: bool = False,
) -> Figures:
    """Datapoints of every metric in ``[start, end)`` as :class:`Figures` (period starts).

    ``client`` is a boto3 CloudWatch client (AWS, or the emulator's endpoint). ``period_s``:
    60 for AWS's standard 1-minute metrics, 1 for the emulator's high-resolution ones.
    """
    if period_s < 1:
        raise ValueError(f"period_s must be >= 1, got {period_s}")
    specs = metric_specs(system, function_name, queue_name, emulator)
    by_id = {f"m{i}": spec for i, spec in enumerate(specs)}
    series: dict[str, FigureSeries] = {}
    ids = list(by_id)
    for chunk_start in range(0, len(ids), _MAX_QUERIES):
        chunk = ids[chunk_start : chunk_start + _MAX_QUERIES]
        args: dict[str, Any] = {
            "MetricDataQueries": [by_id[i].query(i, period_s) for i in chunk],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            try:
                page = client.get_metric_data(**args)
            except (BotoCoreError, ClientError) as exc:
                raise EnvironmentProblem(f"CloudWatch GetMetricData failed: {exc}") from exc
            for res in page.get("MetricDataResults", []):
                spec = by_id.get(res.get("Id", ""))
                if spec is None:
                    continue
                points = series.setdefault(spec.figure, FigureSeries(spec.stat, period_s))
                for ts, value in zip(
                    res.get("Timestamps", []), res.get("Values", []), strict=False
                ):
                    points.add(_epoch(ts), float(value))
            token = page.get("NextToken")
            if not token:
                break
            args["NextToken"] = token
    for figure, d in FIGURES.items():
        part = series.pop(figure.value, None) if d.part_of is not None else None
        if d.part_of is not None and part is not None and part.points:
            whole = series.setdefault(d.part_of.value, FigureSeries("Sum", period_s))
            whole.merge_sum(part)
    # A figure is observed only when CloudWatch returned datapoints for it: an empty answer
    # (wrong region, function name or window, or a metric never published) stays null,
    # never 0. CloudWatch leaves out periods without data, so "no datapoints" cannot tell a
    # zero from an absent metric.
    queried = {_merged_name(s.figure) for s in specs}
    observable = {name for name, fs in series.items() if fs.points}
    empty = sorted(queried - observable)
    notes = [f"CloudWatch returned no datapoints (left null): {', '.join(empty)}"] if empty else []
    return Figures(
        series={k: v for k, v in series.items() if v.points},
        source="cloudwatch",
        observable=observable,
        notes=notes,
        queried=queried,
    )


def _merged_name(figure: str) -> str:
    part_of = FIGURES[Figure(figure)].part_of
    return figure if part_of is None else part_of.value
