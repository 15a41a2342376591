"""GetMetricData against a stubbed CloudWatch (the AWS path), merged into an observed result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from scaling_lab.observe import collect_cloudwatch, merge_into_result, metric_specs
from scaling_lab.result import Provenance, ResultBuilder, ResultKind
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system

START = datetime(2026, 1, 5, 12, 0, 30, tzinfo=UTC)  # not on a minute boundary


def _client():
    return boto3.client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def _result():
    scenario = load_scenario("smoke").model_copy(
        update={
            "traffic": load_scenario("smoke").traffic.model_copy(
                update={
                    "stages": [
                        load_scenario("smoke")
                        .traffic.stages[0]
                        .model_copy(update={"duration_s": 90})
                    ]
                }
            )
        }
    )
    b = ResultBuilder(
        scenario,
        load_system("staging"),
        ResultKind.OBSERVED,
        Provenance(target="https://staging.example", started_at=START),
    )
    for t in range(90):
        b.record(t + 0.5, "post_events", 20.0)
    return b.build()


def test_specs_use_aws_names_and_system_file_resources():
    specs = {s.figure: s for s in metric_specs(load_system("staging"), "my-fn")}
    assert specs["lambda_concurrency"].metric == "ConcurrentExecutions"
    assert specs["lambda_concurrency"].stat == "Maximum"
    assert specs["lambda_concurrency"].dimensions == (("FunctionName", "my-fn"),)
    assert specs["ddb_consumed_wcu"].dimensions == (("TableName", "triggers-events"),)
    assert specs["sqs_depth"].dimensions == (("QueueName", "triggers-delivery"),)
    assert specs["sqs_depth"].metric == "ApproximateNumberOfMessagesVisible"
    assert "cold_starts" not in specs  # AWS has no such metric
    assert "ddb_provisioned_wcu" not in {s.figure for s in metric_specs(load_system("on-demand"))}


def test_collect_pages_and_merge_spreads_minutes_onto_seconds():
    system = load_system("staging")
    client = _client()
    minute0 = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    minute1 = minute0 + timedelta(minutes=1)
    ids = {s.figure: f"m{i}" for i, s in enumerate(metric_specs(system))}
    page1 = {
        "MetricDataResults": [
            {
                "Id": ids["lambda_throttles"],
                "Label": "Throttles",
                "StatusCode": "Complete",
                "Timestamps": [minute0, minute1],
                "Values": [60.0, 120.0],
            },
            {
                "Id": ids["lambda_concurrency"],
                "Label": "ConcurrentExecutions",
                "StatusCode": "Complete",
                "Timestamps": [minute1],
                "Values": [42.0],
            },
        ],
        "NextToken": "more",
    }
    page2 = {
        "MetricDataResults": [
            {
                "Id": ids["ddb_write_throttles"],
                "Label": "WriteThrottleEvents",
                "StatusCode": "Complete",
                "Timestamps": [minute1],
                "Values": [30.0],
            },
            {
                "Id": ids["ddb_read_throttles"],
                "Label": "ReadThrottleEvents",
                "StatusCode": "Complete",
                "Timestamps": [minute1],
                "Values": [30.0],
            },
            {
                "Id": ids["ddb_provisioned_wcu"],
                "Label": "ProvisionedWriteCapacityUnits",
                "StatusCode": "Complete",
                "Timestamps": [minute0, minute1],
                "Values": [5000.0, 7143.0],
            },
        ],
    }
    end = START + timedelta(seconds=90)
    expected = {
        "MetricDataQueries": ANY,
        "StartTime": START,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    with Stubber(client) as stub:
        stub.add_response("get_metric_data", page1, expected)
        stub.add_response("get_metric_data", {**page2}, {**expected, "NextToken": "more"})
        figures = collect_cloudwatch(client, system, START, end, period_s=60)
        stub.assert_no_pending_responses()
    assert figures.series["ddb_throttled"].points == {int(minute1.timestamp()): 60.0}

    merged = merge_into_result(_result(), figures)
    s = merged.series
    # Minute 0 (12:00:00-12:01:00) covers run seconds 0-29: 1 throttle per second.
    assert [s[t].lambda_throttles for t in (0, 29)] == [1, 1]
    # Minute 1 covers run seconds 30-89: 120 / 60 = 2 per second.
    assert [s[t].lambda_throttles for t in (30, 89)] == [2, 2]
    assert sum(x.lambda_throttles for x in s) == 30 + 120
    assert s[10].lambda_concurrency is None and s[30].lambda_concurrency == 42.0
    assert s[0].ddb_provisioned_wcu == 5000.0 and s[60].ddb_provisioned_wcu == 7143.0
    assert merged.summary.ddb_throttled == 60
    assert merged.summary.max_lambda_concurrency == 42.0
    assert merged.summary.max_ddb_provisioned_wcu == 7143.0
    assert s[0].cold_starts is None  # not observable on AWS: stays null


def test_cloudwatch_failure_is_an_environment_problem():
    from scaling_lab.errors import EnvironmentProblem

    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("get_metric_data", "AccessDenied", "no", 403)
        with pytest.raises(EnvironmentProblem, match="GetMetricData"):
            collect_cloudwatch(client, load_system("staging"), START, START + timedelta(minutes=1))
