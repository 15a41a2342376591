"""What to alarm on and what to chart: the scenario's thresholds, the story's alert levels
(latency > 150 ms, errors > 0.5 %, ConcurrentExecutions > 90 % of the function's cap: 900 of
1,000 reserved), and the figures ``observe`` reads (scaling_lab.observe.cloudwatch).

Front-door metrics: a Function URL publishes ``UrlRequestLatency``, ``UrlRequestCount``,
``Url4xxCount`` and ``Url5xxCount`` in AWS/Lambda
(https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html); API Gateway publishes
``Latency``, ``Count``, ``4XXError`` and ``5XXError`` per ApiName and Stage in AWS/ApiGateway
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
Those are whole-API figures: a threshold on one endpoint is alarmed on the whole API's metric.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from scaling_lab.aws.metrics import Figure, cloudwatch_metric
from scaling_lab.observe.cloudwatch import metric_specs
from scaling_lab.scenario.models import Endpoint, Scenario
from scaling_lab.scenario.thresholds import parse_threshold
from scaling_lab.system.models import FrontDoorKind, SystemConfig

__all__ = [
    "STORY_CONCURRENCY_SHARE",
    "STORY_ERROR_RATE",
    "STORY_LATENCY_MS",
    "Alarm",
    "MonitoringPlan",
    "monitoring_plan",
]

STORY_LATENCY_MS = 150.0  # the story's alert: p95 latency > 150 ms
STORY_ERROR_RATE = 0.005  # the story's alert: errors > 0.5 %
_CONCURRENCY = cloudwatch_metric(Figure.LAMBDA_CONCURRENCY)
_THROTTLES = cloudwatch_metric(Figure.LAMBDA_THROTTLES)
STORY_CONCURRENCY_SHARE = 0.9  # the story's alert: ConcurrentExecutions > 900 of 1,000
PERIOD_S = 60  # CloudWatch's standard resolution
_ABOVE = {"<": "GreaterThanOrEqualToThreshold", "<=": "GreaterThanThreshold"}
_BELOW = {">": "LessThanOrEqualToThreshold", ">=": "LessThanThreshold"}


@dataclass(frozen=True)
class Alarm:
    """One CloudWatch alarm, in PutMetricAlarm's own field names (``params()``)."""

    name: str
    description: str
    threshold: float
    comparison: str
    period_s: int = PERIOD_S
    evaluation_periods: int = 1
    # a single metric ...
    namespace: str | None = None
    metric: str | None = None
    dimensions: tuple[tuple[str, str], ...] = ()
    statistic: str | None = None  # Sum | Average | Maximum | p95 ...
    # ... or metric math: (id, namespace, metric, stat) inputs and an expression
    inputs: tuple[tuple[str, str, str, str], ...] = ()
    expression: str | None = None

    def params(self) -> dict[str, Any]:
        p: dict[str, Any] = {
            "AlarmName": self.name,
            "AlarmDescription": self.description,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison,
            "EvaluationPeriods": self.evaluation_periods,
            "TreatMissingData": "notBreaching",
        }
        dims = [{"Name": k, "Value": v} for k, v in self.dimensions]
        if self.expression is None:
            assert self.statistic is not None
            p.update(Namespace=self.namespace, MetricName=self.metric, Dimensions=dims)
            p["Period"] = self.period_s
            if re.fullmatch(r"p\d+(\.\d+)?", self.statistic):
                p["ExtendedStatistic"] = self.statistic
            else:
                p["Statistic"] = self.statistic
            return p
        metrics: list[dict[str, Any]] = [
            {
                "Id": qid,
                "MetricStat": {
                    "Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims},
                    "Period": self.period_s,
                    "Stat": stat,
                },
                "ReturnData": False,
            }
            for qid, ns, name, stat in self.inputs
        ]
        metrics.append(
            {"Id": "e", "Expression": self.expression, "Label": self.name, "ReturnData": True}
        )
        p["Metrics"] = metrics
        return p


@dataclass(frozen=True)
class MonitoringPlan:
    prefix: str
    region: str
    alarms: list[Alarm]
    dashboard_name: str
    widgets: list[dict[str, Any]] = field(default_factory=list)

    def dashboard_body(self) -> str:
        return json.dumps({"widgets": self.widgets}, sort_keys=True)


@dataclass(frozen=True)
class _FrontDoor:
    namespace: str
    dimensions: tuple[tuple[str, str], ...]
    latency: str
    count: str
    errors: tuple[str, str]  # 4xx, 5xx


def _front_door(system: SystemConfig, function_name: str, api_name: str, stage: str) -> _FrontDoor:
    if system.front_door.kind is FrontDoorKind.API_GATEWAY:
        api = (("ApiName", api_name), ("Stage", stage))
        return _FrontDoor("AWS/ApiGateway", api, "Latency", "Count", ("4XXError", "5XXError"))
    fn = (("FunctionName", function_name),)
    return _FrontDoor(
        "AWS/Lambda", fn, "UrlRequestLatency", "UrlRequestCount", ("Url4xxCount", "Url5xxCount")
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _period(window_s: int | None) -> int:
    """A windowed threshold (``over 5m``) alarms on that period when CloudWatch allows it."""
    if window_s is not None and window_s % 60 == 0:
        return window_s
    return PERIOD_S


def _error_alarm(name: str, fd: _FrontDoor, rate: float, why: str, period_s: int) -> Alarm:
    return Alarm(
        name=name,
        description=why,
        threshold=round(rate * 100, 6),
        comparison="GreaterThanThreshold",
        period_s=period_s,
        dimensions=fd.dimensions,
        inputs=(
            ("errors4", fd.namespace, fd.errors[0], "Sum"),
            ("errors5", fd.namespace, fd.errors[1], "Sum"),
            ("requests", fd.namespace, fd.count, "Sum"),
        ),
        expression="100 * (errors4 + errors5) / requests",
    )


def monitoring_plan(
    scenario: Scenario,
    system: SystemConfig,
    *,
    function_name: str = "triggers-api",
    api_name: str = "triggers-api",
    stage: str = "staging",
    prefix: str | None = None,
) -> MonitoringPlan:
    """Alarms (scenario thresholds + story levels) and the dashboard for ``system``."""
    pre = _slug(prefix or f"{system.name}-{scenario.name}")
    fd = _front_door(system, function_name, api_name, stage)
    alarms: list[Alarm] = []
    seen: set[tuple[str, float, str, int]] = set()
    for key, exprs in scenario.thresholds.items():
        where = str(key.value if isinstance(key, Endpoint) else key)
        for expr in exprs:
            th = parse_threshold(expr)
            period_s = _period(th.window_s)
            why = f"scenario {scenario.name} threshold {where}: {expr} (whole API's metric)"
            if th.aggregation == "rate":
                if th.operator not in _ABOVE:
                    continue
                ident = ("rate", th.value, th.operator, period_s)
                if ident not in seen:
                    seen.add(ident)
                    alarms.append(
                        _error_alarm(f"{pre}-error-rate-{_slug(expr)}", fd, th.value, why, period_s)
                    )
                continue
            if not th.is_latency or th.operator not in {**_ABOVE, **_BELOW}:
                continue  # counts have no CloudWatch alarm that means the same
            stat = (
                f"p{th.percentile:g}"
                if th.percentile is not None
                else {"avg": "Average", "max": "Maximum", "min": "Minimum", "med": "p50"}[
                    th.aggregation
                ]
            )
            ident = (stat, th.value, th.operator, period_s)
            if ident in seen:
                continue
            seen.add(ident)
            alarms.append(
                Alarm(
                    name=f"{pre}-latency-{_slug(expr)}",
                    description=why,
                    threshold=th.value,
                    comparison={**_ABOVE, **_BELOW}[th.operator],
                    period_s=period_s,
                    namespace=fd.namespace,
                    metric=fd.latency,
                    dimensions=fd.dimensions,
                    statistic=stat,
                )
            )
    cap = system.lambda_.concurrency_cap
    fn = (("FunctionName", function_name),)
    alarms += [
        Alarm(
            name=f"{pre}-story-latency-p95-150ms",
            description="story alert: p95 latency above 150 ms",
            threshold=STORY_LATENCY_MS,
            comparison="GreaterThanThreshold",
            namespace=fd.namespace,
            metric=fd.latency,
            dimensions=fd.dimensions,
            statistic="p95",
        ),
        _error_alarm(
            f"{pre}-story-error-rate-0.5pct",
            fd,
            STORY_ERROR_RATE,
            "story alert: errors above 0.5 % of requests",
            PERIOD_S,
        ),
        Alarm(
            name=f"{pre}-story-concurrency-90pct",
            description=(
                f"story alert: ConcurrentExecutions above {STORY_CONCURRENCY_SHARE:.0%} of the "
                f"function's cap {cap}"
            ),
            threshold=float(round(cap * STORY_CONCURRENCY_SHARE)),
            comparison="GreaterThanThreshold",
            namespace=_CONCURRENCY.namespace,
            metric=_CONCURRENCY.name,
            dimensions=fn,
            statistic="Maximum",
        ),
        Alarm(
            name=f"{pre}-lambda-throttles",
            description="the story asks for no throttling: any Lambda throttle",
            threshold=0.0,
            comparison="GreaterThanThreshold",
            namespace=_THROTTLES.namespace,
            metric=_THROTTLES.name,
            dimensions=fn,
            statistic="Sum",
        ),
    ]
    return MonitoringPlan(
        prefix=pre,
        region=system.region,
        alarms=alarms,
        dashboard_name=pre,
        widgets=_widgets(system, fd, function_name, alarms),
    )


def _widgets(
    system: SystemConfig, fd: _FrontDoor, function_name: str, alarms: list[Alarm]
) -> list[dict[str, Any]]:
    def dims(d: tuple[tuple[str, str], ...]) -> list[str]:
        return [x for kv in d for x in kv]

    latency_lines = [
        {"label": a.name, "value": a.threshold}
        for a in alarms
        if a.metric == fd.latency and a.statistic is not None
    ]
    widgets: list[dict[str, Any]] = [
        {
            "title": "latency (front door)",
            "metrics": [
                [fd.namespace, fd.latency, *dims(fd.dimensions), {"stat": s}]
                for s in ("p50", "p95", "p99", "Maximum")
            ],
            "annotations": {"horizontal": latency_lines},
        },
        {
            "title": "requests and errors (front door)",
            "metrics": [
                [fd.namespace, m, *dims(fd.dimensions), {"stat": "Sum"}]
                for m in (fd.count, *fd.errors)
            ],
        },
    ]
    by_title: dict[str, list[list[Any]]] = {}
    titles = {"AWS/Lambda": "Lambda", "AWS/DynamoDB": "DynamoDB", "AWS/SQS": "SQS"}
    for spec in metric_specs(system, function_name=function_name):
        by_title.setdefault(titles[spec.namespace], []).append(
            [spec.namespace, spec.metric, *dims(spec.dimensions), {"stat": spec.stat}]
        )
    cap = system.lambda_.concurrency_cap
    for title, metrics in by_title.items():
        w: dict[str, Any] = {"title": title, "metrics": metrics}
        if title == "Lambda":
            w["annotations"] = {
                "horizontal": [
                    {"label": "90 % of the cap", "value": round(cap * STORY_CONCURRENCY_SHARE)}
                ]
            }
        widgets.append(w)
    out = []
    for i, w in enumerate(widgets):
        props = {
            "region": system.region,
            "period": PERIOD_S,
            "view": "timeSeries",
            "stacked": False,
            **w,
        }
        out.append(
            {
                "type": "metric",
                "x": (i % 2) * 12,
                "y": (i // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": props,
            }
        )
    return out
