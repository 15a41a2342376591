"""Per-second counters of the gate and governor, and their CloudWatch form (AWS names).

:class:`SecondCounters` is what the gate and the DynamoDB hook write to (thread-safe); the
figure names are :class:`scaling_lab.aws.metrics.Figure`, those of scaling_lab's result series,
so a reader can copy them over as they are. :func:`cloudwatch_datums` turns seconds into
``PutMetricData`` entries with the metric names and dimensions AWS itself publishes (the table
in :mod:`scaling_lab.aws.metrics`):
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scaling_lab.aws import ThrottleCause
from scaling_lab.aws.metrics import CLOUDWATCH_METRICS, Dimension, Figure

__all__ = ["MetricNames", "SecondCounters", "cloudwatch_datums"]


class SecondCounters:
    """Figures per wall-clock second (epoch seconds), safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds: dict[int, dict[str, float]] = defaultdict(dict)
        self.totals: dict[str, float] = defaultdict(float)
        self.throttles_by_cause: dict[str, int] = defaultdict(int)

    def add(self, now_s: float, figure: Figure, value: float = 1.0) -> None:
        """Add to a counter of the second containing ``now_s``."""
        sec = math.floor(now_s)
        name = figure.value
        with self._lock:
            figs = self._seconds[sec]
            figs[name] = figs.get(name, 0.0) + value
            self.totals[name] += value

    def throttle(self, now_s: float, cause: ThrottleCause) -> None:
        """Count a refused invocation with its cause (the rulebook's names)."""
        with self._lock:
            self.throttles_by_cause[cause.value] += 1
        front = cause is ThrottleCause.FRONT_DOOR
        self.add(now_s, Figure.FRONT_DOOR_THROTTLES if front else Figure.LAMBDA_THROTTLES)

    def gauge_max(self, now_s: float, figure: Figure, value: float) -> None:
        """Keep the maximum of a gauge within the second."""
        sec = math.floor(now_s)
        name = figure.value
        with self._lock:
            figs = self._seconds[sec]
            figs[name] = max(figs.get(name, value), value)

    def gauge_last(self, now_s: float, figure: Figure, value: float) -> None:
        """Set a level for the second (the last reading wins)."""
        sec = math.floor(now_s)
        with self._lock:
            self._seconds[sec][figure.value] = value

    def seconds(
        self, since_s: int | None = None, until_s: int | None = None
    ) -> list[dict[str, Any]]:
        """Seconds in ``[since_s, until_s)`` as ``{"epoch_s": n, figure: ...}``, ascending."""
        with self._lock:
            keys = sorted(self._seconds)
            out = []
            for sec in keys:
                if since_s is not None and sec < since_s:
                    continue
                if until_s is not None and sec >= until_s:
                    continue
                out.append({"epoch_s": sec, **self._seconds[sec]})
            return out

    def reset(self) -> None:
        """Forget everything (a new run starts)."""
        with self._lock:
            self._seconds.clear()
            self.totals.clear()
            self.throttles_by_cause.clear()


@dataclass(frozen=True)
class MetricNames:
    """Resource names used as CloudWatch dimensions."""

    function_name: str
    table_name: str
    queue_name: str


def _datum(
    name: str, dims: dict[str, str], ts: datetime, value: float, unit: str
) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Timestamp": ts,
        "Value": float(value),
        "Unit": unit,
        "StorageResolution": 1,
    }


def cloudwatch_datums(
    seconds: list[dict[str, Any]], names: MetricNames
) -> dict[str, list[dict[str, Any]]]:
    """``PutMetricData`` entries by namespace for the given seconds (1-second resolution)."""
    value = {
        Dimension.FUNCTION: names.function_name,
        Dimension.TABLE: names.table_name,
        Dimension.QUEUE: names.queue_name,
    }
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sec in seconds:
        ts = datetime.fromtimestamp(sec["epoch_s"], UTC)
        for figure, metric in CLOUDWATCH_METRICS:
            if figure.value in sec:
                dims = {metric.dimension.value: value[metric.dimension]}
                out[metric.namespace].append(
                    _datum(metric.name, dims, ts, sec[figure.value], "Count")
                )
    return dict(out)
