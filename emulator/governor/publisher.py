"""Publish the governor's seconds to CloudWatch (``PutMetricData``, AWS's metric names).

A failed call is logged once (then at debug) and counted; the seconds stay readable at
``/_governor/metrics`` and CloudWatch misses them.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.governor.metrics import MetricNames, SecondCounters, cloudwatch_datums
from scaling_lab.aws import PUT_METRIC_DATA_MAX_DATUMS

__all__ = ["MetricsPublisher"]

log = logging.getLogger("emulator.governor")


class MetricsPublisher:
    """Sends each second once, in batches CloudWatch accepts."""

    def __init__(self, counters: SecondCounters, names: MetricNames, enabled: bool) -> None:
        self.counters = counters
        self.names = names
        self.enabled = enabled
        self.failures = 0
        self._published_until: int | None = None

    def start(self, epoch_s: int) -> None:
        """A run starts: publish seconds from ``epoch_s`` on."""
        self._published_until = epoch_s

    def publish(self, cw: Any, until: int) -> None:
        """Publish the seconds not yet sent, up to (not including) epoch second ``until``."""
        if not self.enabled or self._published_until is None:
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
            self.failures += 1
            level = logging.WARNING if self.failures == 1 else logging.DEBUG
            log.log(level, "PutMetricData failed (%d so far): %s", self.failures, exc)
        self._published_until = until
