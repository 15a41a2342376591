"""A MonitoringPlan as CloudFormation, as Terraform JSON, or created through boto3."""

from __future__ import annotations

import re
from typing import Any

from scaling_lab.alarms.plan import Alarm, MonitoringPlan
from scaling_lab.aws.cloudwatch import AlarmWriter
from scaling_lab.jsontypes import JsonObject

__all__ = ["apply_plan", "cloudformation", "terraform_json"]


def _logical_id(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def cloudformation(plan: MonitoringPlan) -> JsonObject:
    """An AWS CloudFormation template (AWS::CloudWatch::Alarm and ::Dashboard)."""
    resources: dict[str, Any] = {}
    for alarm in plan.alarms:
        resources[_logical_id(alarm.name)] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": alarm.params(),
        }
    resources[_logical_id(plan.dashboard_name) + "Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": plan.dashboard_name,
            "DashboardBody": plan.dashboard_body(),
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"scaling-lab alarms and dashboard ({plan.prefix})",
        "Resources": resources,
    }


def _tf_dims(dims: list[dict[str, str]]) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in dims}


def _tf_alarm(alarm: Alarm) -> dict[str, Any]:
    p = alarm.params()
    out: dict[str, Any] = {
        "alarm_name": p["AlarmName"],
        "alarm_description": p["AlarmDescription"],
        "comparison_operator": p["ComparisonOperator"],
        "evaluation_periods": p["EvaluationPeriods"],
        "threshold": p["Threshold"],
        "treat_missing_data": p["TreatMissingData"],
    }
    if "Metrics" not in p:
        out.update(
            namespace=p["Namespace"],
            metric_name=p["MetricName"],
            period=p["Period"],
            dimensions=_tf_dims(p["Dimensions"]),
        )
        if "ExtendedStatistic" in p:
            out["extended_statistic"] = p["ExtendedStatistic"]
        else:
            out["statistic"] = p["Statistic"]
        return out
    queries = []
    for m in p["Metrics"]:
        if "Expression" in m:
            queries.append(
                {
                    "id": m["Id"],
                    "expression": m["Expression"],
                    "label": m["Label"],
                    "return_data": True,
                }
            )
            continue
        stat = m["MetricStat"]
        queries.append(
            {
                "id": m["Id"],
                "return_data": False,
                "metric": {
                    "namespace": stat["Metric"]["Namespace"],
                    "metric_name": stat["Metric"]["MetricName"],
                    "dimensions": _tf_dims(stat["Metric"]["Dimensions"]),
                    "period": stat["Period"],
                    "stat": stat["Stat"],
                },
            }
        )
    out["metric_query"] = queries
    return out


def terraform_json(plan: MonitoringPlan) -> JsonObject:
    """Terraform JSON configuration (``*.tf.json``) for the AWS provider."""
    alarms: JsonObject = {re.sub(r"[^a-z0-9_]", "_", a.name): _tf_alarm(a) for a in plan.alarms}
    dashboard: JsonObject = {
        re.sub(r"[^a-z0-9_]", "_", plan.dashboard_name): {
            "dashboard_name": plan.dashboard_name,
            "dashboard_body": plan.dashboard_body(),
        }
    }
    return {
        "resource": {
            "aws_cloudwatch_metric_alarm": alarms,
            "aws_cloudwatch_dashboard": dashboard,
        }
    }


def apply_plan(plan: MonitoringPlan, client: AlarmWriter) -> list[str]:
    """Create or update every alarm and the dashboard with a boto3 CloudWatch ``client``;
    returns the alarm names. PutMetricAlarm and PutDashboard overwrite same-named ones."""
    for alarm in plan.alarms:
        client.put_metric_alarm(**alarm.params())
    client.put_dashboard(DashboardName=plan.dashboard_name, DashboardBody=plan.dashboard_body())
    return [a.name for a in plan.alarms]
