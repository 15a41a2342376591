"""CloudWatch API limits the emulator's metric publisher must respect, and the calls
scaling-lab makes on a CloudWatch client (a boto3 client satisfies these Protocols)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypedDict

__all__ = [
    "PUT_METRIC_DATA_MAX_DATUMS",
    "AlarmWriter",
    "MetricDataPage",
    "MetricDataReader",
    "MetricDataResult",
]


class MetricDataResult(TypedDict, total=False):
    """One query's answer in a GetMetricData response (the fields observe reads):
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html"""

    Id: str
    Timestamps: list[datetime]
    Values: list[float]


class MetricDataPage(TypedDict, total=False):
    """A GetMetricData response page."""

    MetricDataResults: list[MetricDataResult]
    NextToken: str


class MetricDataReader(Protocol):
    """``GetMetricData`` (observe); request parameters as the API names them."""

    def get_metric_data(self, **kwargs: object) -> MetricDataPage: ...


class AlarmWriter(Protocol):
    """``PutMetricAlarm`` and ``PutDashboard`` (alarms apply)."""

    def put_metric_alarm(self, **kwargs: object) -> object: ...

    def put_dashboard(self, **kwargs: object) -> object: ...


# "Each PutMetricData request ... can contain up to 1000 different metrics"
# -- https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
PUT_METRIC_DATA_MAX_DATUMS = 1000
