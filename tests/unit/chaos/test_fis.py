"""chaos run URL --dry-run: the AWS FIS experiment template and its CloudWatch alarms.

The template is created in moto's FIS (moto 5 implements create_experiment_template only: get and
list are not) and checked against botocore's own service model of
``CreateExperimentTemplate``; the alarms are created in moto's CloudWatch, whose ARNs must be
the ones the template names."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from scaling_lab.chaos.fis import FisOptions, fis_plan
from scaling_lab.chaos.loader import load_experiment
from scaling_lab.cli.main import main
from scaling_lab.errors import ValidationFailed

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"
ROLE = "arn:aws:iam::123456789012:role/fis-experiments"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:triggers-api"
SUBNET = "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0abc1234"
SHIPPED = Path(__file__).resolve().parents[3] / "scenarios" / "experiments"


def _shape_errors(service: str, operation: str, params: dict[str, object]) -> str:
    model = boto3.session.Session().client(service, region_name="eu-west-1").meta.service_model
    report = ParamValidator().validate(params, model.operation_model(operation).input_shape)
    return report.generate_report() if report.has_errors() else ""


def _plan():  # type: ignore[no-untyped-def]
    return fis_plan(
        load_experiment(FIX / "fis-lambda.yaml"), FisOptions(ROLE, "eu-west-1", FUNCTION)
    )


def test_template_matches_botocores_create_experiment_template_shape() -> None:
    plan = _plan()
    assert _shape_errors("fis", "CreateExperimentTemplate", plan.template) == ""
    actions = plan.template["actions"]
    assert isinstance(actions, dict)
    assert {a["actionId"] for a in actions.values()} == {  # type: ignore[index]
        "aws:lambda:invocation-error",
        "aws:lambda:invocation-add-delay",
    }
    assert actions["a0"]["parameters"] == {  # type: ignore[index]
        "duration": "PT10S",
        "invocationPercentage": "25",
        "preventExecution": "true",
    }
    assert actions["a1"]["parameters"]["startupDelayMilliseconds"] == "300"  # type: ignore[index]


def test_a_shape_the_validator_refuses_is_seen() -> None:
    bad = dict(_plan().template)
    bad["actions"] = {"a0": {"actionId": 7}}
    assert "actionId" in _shape_errors("fis", "CreateExperimentTemplate", bad)


def test_template_is_created_in_motos_fis() -> None:
    template = _plan().template
    with mock_aws():
        client = boto3.client("fis", region_name="eu-west-1")
        got = client.create_experiment_template(**template)["experimentTemplate"]
    assert got["id"] and got["roleArn"] == ROLE
    assert got["actions"]["a0"]["actionId"] == "aws:lambda:invocation-error"
    assert [s["value"] for s in got["stopConditions"]] == [
        s["value"]  # type: ignore[index]
        for s in template["stopConditions"]  # type: ignore[union-attr]
    ]


def test_alarms_are_created_in_moto_and_the_template_names_their_arns() -> None:
    """throttles: a counter, 'rate<5' per second for 2m -> the minute's Sum >= 300 on 2 periods;
    ddb throttles: the sum of the table's write and read throttle events (metric math)."""
    plan = _plan()
    with mock_aws():
        cw = boto3.client("cloudwatch", region_name="eu-west-1")
        for alarm in plan.alarms:
            assert _shape_errors("cloudwatch", "PutMetricAlarm", alarm) == ""
            cw.put_metric_alarm(**alarm)
        arns = [a["AlarmArn"] for a in cw.describe_alarms()["MetricAlarms"]]
    assert sorted(arns) == sorted(plan.alarm_arns)
    stops = plan.template["stopConditions"]
    assert stops == [{"source": "aws:cloudwatch:alarm", "value": a} for a in plan.alarm_arns]
    first, second = plan.alarms
    assert (first["Threshold"], first["EvaluationPeriods"]) == (300.0, 2)
    assert first["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert second["Metrics"][-1]["Expression"] == "m0 + m1"  # type: ignore[index]


def test_what_fis_cannot_do_is_refused_one_line_per_action() -> None:
    loaded = load_experiment(SHIPPED / "ddb-throttle-storm.yaml")
    with pytest.raises(ValidationFailed) as exc:
        fis_plan(loaded, FisOptions(ROLE, "eu-west-1", FUNCTION))
    messages = [str(p) for p in exc.value.problems]
    assert any("method[0]: throttle_storm on dynamodb: FIS has no action" in m for m in messages)
    assert any("stop_conditions[0]: probe 'error rate' reads endpoint all" in m for m in messages)


@pytest.mark.parametrize(
    ("experiment", "expected"),
    [
        ("sqs-unavailable", "method[0]: sqs_unavailable: FIS has no SQS action"),
        ("ddb-added-latency", "method[0]: added_latency on dynamodb: FIS has no action"),
        ("backend-restart", "method[0]: duration 15 s: aws:network:disrupt-connectivity lasts"),
    ],
)
def test_dry_run_refusals_are_one_line(
    experiment: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["chaos", "run", experiment, "--target", "https://staging.example.com", "--dry-run"]
    argv += ["--fis-role-arn", ROLE, "--region", "eu-west-1", "--subnet-arn", SUBNET]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_dry_run_prints_the_template_and_creates_nothing(capsys: pytest.CaptureFixture[str]):
    argv = ["chaos", "run", str(FIX / "fis-lambda.yaml"), "--target", "https://staging.example.com"]
    argv += ["--dry-run", "--fis-role-arn", ROLE, "--region", "eu-west-1"]
    argv += ["--function-arn", FUNCTION]
    assert main(argv) == 0
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["experiment_template"]["roleArn"] == ROLE and len(doc["alarms"]) == 2
    assert "dry run: nothing created" in cap.err


def test_disrupt_connectivity_for_a_restart_and_waits_for_a_later_start() -> None:
    loaded = load_experiment(SHIPPED / "backend-restart.yaml")
    method = [
        a.model_copy(update={"at_s": 60.0, "duration_s": 90.0}) for a in loaded.experiment.method
    ]
    loaded = type(loaded)(
        loaded.path,
        loaded.experiment.model_copy(update={"method": method}),
        loaded.scenario_path,
        loaded.scenario,
        loaded.system,
    )
    plan = fis_plan(loaded, FisOptions(ROLE, "eu-west-1", None, (SUBNET,)))
    assert _shape_errors("fis", "CreateExperimentTemplate", plan.template) == ""
    actions = plan.template["actions"]
    assert actions["wait0"]["parameters"] == {"duration": "PT60S"}  # type: ignore[index]
    assert actions["a0"]["startAfter"] == ["wait0"]  # type: ignore[index]
    assert actions["a0"]["parameters"] == {"duration": "PT90S", "scope": "dynamodb"}  # type: ignore[index]


def test_missing_role_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chaos", "run", str(FIX / "fis-lambda.yaml"), "--target", "https://x.example.com"]
    assert main([*argv, "--dry-run", "--region", "eu-west-1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --fis-role-arn: required for the FIS template (the role FIS assumes)"
    )
