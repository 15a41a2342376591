"""CloudWatch API limits the emulator's metric publisher must respect."""

from __future__ import annotations

__all__ = ["PUT_METRIC_DATA_MAX_DATUMS"]

# "Each PutMetricData request ... can contain up to 1000 different metrics"
# -- https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
PUT_METRIC_DATA_MAX_DATUMS = 1000
