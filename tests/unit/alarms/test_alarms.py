"""``scaling-lab alarms``: CloudWatch alarms and dashboard, checked against moto's CloudWatch."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from scaling_lab.alarms import apply_plan, cloudformation, monitoring_plan, terraform_json
from scaling_lab.cli.main import main
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system


@pytest.fixture
def aws(monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def by_name(client):
    alarms = client.describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a for a in alarms}


def dims(alarm):
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def test_apply_creates_the_story_alarms_with_the_right_metrics_and_bounds(aws):
    plan = monitoring_plan(load_scenario("smoke"), load_system("staging"), prefix="t")
    apply_plan(plan, aws)
    got = by_name(aws)
    # p95 > 150 ms on the Function URL's latency
    story = got["t-story-latency-p95-150ms"]
    assert (story["Namespace"], story["MetricName"]) == ("AWS/Lambda", "UrlRequestLatency")
    assert story["ExtendedStatistic"] == "p95" and story["Threshold"] == 150
    assert story["ComparisonOperator"] == "GreaterThanThreshold"
    assert dims(story) == {"FunctionName": "triggers-api"}
    # ConcurrentExecutions > 900: 90 % of staging's reserved 1,000
    conc = got["t-story-concurrency-90pct"]
    assert (conc["MetricName"], conc["Statistic"], conc["Threshold"]) == (
        "ConcurrentExecutions",
        "Maximum",
        900,
    )
    # errors > 0.5 %: metric math over the front door's 4xx, 5xx and request counts
    errors = got["t-story-error-rate-0.5pct"]
    assert errors["Threshold"] == 0.5
    expr = next(m for m in errors["Metrics"] if "Expression" in m)
    assert expr["Expression"] == "100 * (errors4 + errors5) / requests"
    inputs = {
        m["Id"]: m["MetricStat"]["Metric"]["MetricName"]
        for m in errors["Metrics"]
        if "MetricStat" in m
    }
    assert inputs == {
        "errors4": "Url4xxCount",
        "errors5": "Url5xxCount",
        "requests": "UrlRequestCount",
    }


def test_scenario_thresholds_become_alarms(aws):
    plan = monitoring_plan(load_scenario("smoke"), load_system("staging"), prefix="t")
    apply_plan(plan, aws)
    got = by_name(aws)
    p95 = got["t-latency-p-95-100"]  # p(95)<100 fails at 100 ms: >= 100 alarms
    assert (p95["ExtendedStatistic"], p95["Threshold"], p95["ComparisonOperator"]) == (
        "p95",
        100,
        "GreaterThanOrEqualToThreshold",
    )
    assert got["t-latency-max-5000"]["Statistic"] == "Maximum"
    assert got["t-error-rate-rate-0-001"]["Threshold"] == pytest.approx(0.1)
    assert len(got) == len(plan.alarms) == 8


def test_api_gateway_front_door_uses_its_metrics(aws):
    plan = monitoring_plan(
        load_scenario("smoke"), load_system("staging-apigw"), prefix="g", stage="v1"
    )
    apply_plan(plan, aws)
    story = by_name(aws)["g-story-latency-p95-150ms"]
    assert (story["Namespace"], story["MetricName"]) == ("AWS/ApiGateway", "Latency")
    assert dims(story) == {"ApiName": "triggers-api", "Stage": "v1"}


def test_windowed_threshold_sets_the_alarm_period(aws):
    sc = load_scenario("smoke").model_copy(
        update={"thresholds": {"post_events": ["p(99)<250 over 5m", "p(95)<90 over 10s"]}}
    )
    plan = monitoring_plan(sc, load_system("staging"), prefix="w")
    periods = {a.name: a.period_s for a in plan.alarms}
    assert periods["w-latency-p-99-250-over-5m"] == 300
    assert periods["w-latency-p-95-90-over-10s"] == 60  # CloudWatch has no 10 s standard period


def test_dashboard_charts_what_observe_reads(aws):
    plan = monitoring_plan(load_scenario("smoke"), load_system("staging"), prefix="t")
    apply_plan(plan, aws)
    body = json.loads(aws.get_dashboard(DashboardName="t")["DashboardBody"])
    charted = {(m[0], m[1]) for w in body["widgets"] for m in w["properties"]["metrics"]}
    for needed in [
        ("AWS/Lambda", "ConcurrentExecutions"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits"),
        ("AWS/DynamoDB", "ProvisionedWriteCapacityUnits"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Lambda", "UrlRequestLatency"),
    ]:
        assert needed in charted
    table = next(
        m
        for w in body["widgets"]
        for m in w["properties"]["metrics"]
        if m[1] == "ConsumedWriteCapacityUnits"
    )
    assert table[2:4] == ["TableName", "triggers-events"]


def test_cloudformation_template_creates_the_same_alarms(aws):
    """moto's CloudFormation cannot create alarms, so each AWS::CloudWatch::Alarm's Properties
    (CloudFormation uses PutMetricAlarm's names for the ones written here) goes through
    botocore's request validation into moto's CloudWatch."""
    plan = monitoring_plan(load_scenario("smoke"), load_system("staging"), prefix="cf")
    template = cloudformation(plan)
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert kinds == {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"}
    for res in template["Resources"].values():
        if res["Type"] == "AWS::CloudWatch::Alarm":
            aws.put_metric_alarm(**res["Properties"])
        else:
            aws.put_dashboard(**res["Properties"])
    got = by_name(aws)
    assert set(got) == {a.name for a in plan.alarms}
    conc = got["cf-story-concurrency-90pct"]
    assert conc["Threshold"] == 900 and conc["MetricName"] == "ConcurrentExecutions"
    assert json.loads(aws.get_dashboard(DashboardName="cf")["DashboardBody"])["widgets"]


def test_terraform_json_matches_the_plan():
    plan = monitoring_plan(load_scenario("smoke"), load_system("staging"), prefix="tf")
    tf = terraform_json(plan)["resource"]
    alarms = tf["aws_cloudwatch_metric_alarm"]
    assert len(alarms) == len(plan.alarms)
    conc = alarms["tf_story_concurrency_90pct"]
    assert conc["metric_name"] == "ConcurrentExecutions" and conc["threshold"] == 900
    assert conc["dimensions"] == {"FunctionName": "triggers-api"}
    err = alarms["tf_story_error_rate_0_5pct"]
    assert [q["id"] for q in err["metric_query"]] == ["errors4", "errors5", "requests", "e"]
    assert tf["aws_cloudwatch_dashboard"]["tf"]["dashboard_body"] == plan.dashboard_body()


def test_cli_writes_both_formats_and_applies(aws, tmp_path):
    code = main(["alarms", "smoke", "--out", str(tmp_path), "--apply", "--prefix", "cli"])
    assert code == 0
    assert json.loads((tmp_path / "alarms.cfn.json").read_text())["Resources"]
    assert json.loads((tmp_path / "alarms.tf.json").read_text())["resource"]
    assert "cli-story-concurrency-90pct" in by_name(aws)
    assert aws.get_dashboard(DashboardName="cli")["DashboardName"] == "cli"
