"""chaos run URL --dry-run: the AWS FIS experiment template, its runbooks and CloudWatch alarms.

The template is checked against botocore's own service model of ``CreateExperimentTemplate``
and created in moto's FIS; each runbook is created in moto's SSM and every AWS call a runbook
step makes is checked against botocore's model of that call; the alarms are created in moto's
CloudWatch, whose ARNs must be the ones the template names."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml
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
    loaded = load_experiment(FIX / "fis-refused.yaml")
    with pytest.raises(ValidationFailed) as exc:
        fis_plan(loaded, FisOptions(ROLE, "eu-west-1", FUNCTION))
    messages = [str(p) for p in exc.value.problems]
    assert len(messages) == 4, messages
    assert any("method[0]: dynamodb_errors: FIS injects API errors only" in m for m in messages)
    assert any("method[1]: added_latency on sqs: FIS has no action" in m for m in messages)
    # 15 s after the experiment starts: shorter than the one minute an aws:fis:wait lasts
    assert any("method[2].at: 15 s after the first action" in m for m in messages)
    assert any(
        "stop_conditions[0]: probe 'post p95' reads endpoint post_events: a function URL's "
        "metrics count every path together" in m
        for m in messages
    )


def _runbook_steps(doc: dict[str, object]) -> list[dict[str, object]]:
    content = yaml.safe_load(str(doc["Content"]))
    assert content["schemaVersion"] == "0.3"
    return content["mainSteps"]  # type: ignore[no-any-return]


_BOTO_SERVICE = {"dynamodb": "dynamodb", "lambda": "lambda", "sqs": "sqs"}


@pytest.mark.parametrize(
    "experiment",
    [
        "ddb-throttle-storm",
        "backend-restart",
        "sqs-unavailable",
        "ddb-added-latency",
        "cold-start-storm",
    ],
)
def test_every_shipped_experiment_plans_a_template_moto_creates(experiment: str) -> None:
    """The template, its runbooks and alarms are valid calls (botocore's models), moto creates
    them, and FIS starts and stops the experiment; every runbook step that calls AWS makes a
    call botocore's model of that API accepts."""
    plan = fis_plan(load_experiment(experiment), FisOptions(ROLE, "eu-west-1", FUNCTION))
    assert _shape_errors("fis", "CreateExperimentTemplate", plan.template) == ""
    for doc in plan.documents:
        assert _shape_errors("ssm", "CreateDocument", doc) == ""
        for step in _runbook_steps(doc):
            inputs = dict(step["inputs"])  # type: ignore[call-overload]
            if step["action"] not in ("aws:executeAwsApi", "aws:waitForAwsResourceProperty"):
                continue
            service, api = inputs.pop("Service"), inputs.pop("Api")
            inputs.pop("PropertySelector", None)
            inputs.pop("DesiredValues", None)
            assert _shape_errors(_BOTO_SERVICE[service], api, inputs) == "", step
    for alarm in plan.alarms:
        assert _shape_errors("cloudwatch", "PutMetricAlarm", alarm) == ""
    with mock_aws():
        ssm = boto3.client("ssm", region_name="eu-west-1")
        for doc in plan.documents:
            assert ssm.create_document(**doc)["DocumentDescription"]["Status"] == "Active"
        cw = boto3.client("cloudwatch", region_name="eu-west-1")
        for alarm in plan.alarms:
            cw.put_metric_alarm(**alarm)
        fis = boto3.client("fis", region_name="eu-west-1")
        tid = fis.create_experiment_template(**plan.template)["experimentTemplate"]["id"]
        xid = fis.start_experiment(experimentTemplateId=tid)["experiment"]["id"]
        fis.stop_experiment(id=xid)
        assert fis.get_experiment(id=xid)["experiment"]["state"]["status"] == "stopped"


def test_throttle_storm_runbook_lowers_and_restores_the_system_files_capacity() -> None:
    """spike-ready: 10,000 WCU and 1,000 RCU, both indexes written like the table; a quarter
    is 2,500 / 250, and the restore puts back 10,000 / 1,000. The experiment starts at 90 s,
    the method's only start, so the runbook does not sleep first."""
    plan = fis_plan(load_experiment("ddb-throttle-storm"), FisOptions(ROLE, "eu-west-1", FUNCTION))
    assert plan.start_at_s == 90.0
    (action,) = plan.template["actions"].values()  # type: ignore[union-attr]
    assert action["actionId"] == "aws:ssm:start-automation-execution"  # type: ignore[index]
    (doc,) = plan.documents
    steps = {s["name"]: s for s in _runbook_steps(doc)}
    assert list(steps) == ["lower", "lowered", "hold", "restore", "restored"]
    low, back = steps["lower"]["inputs"], steps["restore"]["inputs"]
    assert low["ProvisionedThroughput"] == {"ReadCapacityUnits": 250, "WriteCapacityUnits": 2500}
    assert back["ProvisionedThroughput"] == {"ReadCapacityUnits": 1000, "WriteCapacityUnits": 10000}
    assert [g["Update"]["IndexName"] for g in low["GlobalSecondaryIndexUpdates"]] == [
        "inbox",
        "inbox_by_type",
    ]
    assert all(
        g["Update"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 2500
        for g in low["GlobalSecondaryIndexUpdates"]
    )
    assert steps["hold"]["inputs"] == {"Duration": "PT30S"}
    # a failure or a cancel (the experiment stopped) anywhere from the injection restores
    for name in ("lower", "lowered", "hold"):
        assert steps[name]["onCancel"] == steps[name]["onFailure"] == "step:restore"
    assert steps["restored"]["isEnd"] is True
    # the stop condition on the error rate is the function URL's 4xx + 5xx over its requests
    (alarm,) = plan.alarms
    assert alarm["Metrics"][-1]["Expression"] == "(m4xx + m5xx) / mall"  # type: ignore[index]
    assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (0.5, 1)


def test_cold_start_storm_recycles_with_two_configuration_updates() -> None:
    """staging's timeout is 30 s: the storm sets 31 s (a new configuration: new environments),
    holds 10 s and sets 30 s again; the plan says the AWS storm is milder than the model's."""
    plan = fis_plan(load_experiment("cold-start-storm"), FisOptions(ROLE, "eu-west-1", FUNCTION))
    (doc,) = plan.documents
    steps = {s["name"]: s for s in _runbook_steps(doc)}
    assert steps["recycle"]["inputs"]["Timeout"] == 31
    assert steps["recycle_back"]["inputs"]["Timeout"] == 30
    assert steps["recycle"]["inputs"]["FunctionName"] == "triggers-api"
    (note,) = plan.notes
    assert "upper bound" in note


def test_a_later_runbook_sleeps_inside_the_runbook() -> None:
    """Two actions at 90 s and 100 s: the experiment starts at 90 s and the second runbook
    sleeps 10 s first (shorter than an aws:fis:wait can)."""
    loaded = load_experiment("sqs-unavailable")
    first = loaded.experiment.method[0]
    second = first.model_copy(update={"name": "again", "at_s": 100.0, "duration_s": 5.0})
    loaded = _with_method(loaded, [first, second])
    plan = fis_plan(loaded, FisOptions(ROLE, "eu-west-1"))
    assert plan.start_at_s == 90.0
    steps = _runbook_steps(plan.documents[1])
    assert steps[0] == {"name": "delay", "action": "aws:sleep", "inputs": {"Duration": "PT10S"}}
    assert "onCancel" not in steps[0]  # cancelled before the fault: nothing to restore
    deny = json.loads(steps[1]["inputs"]["Attributes"]["Policy"])  # type: ignore[index]
    assert deny["Statement"][0]["Effect"] == "Deny"
    assert "sqs:SendMessage" in deny["Statement"][0]["Action"]
    assert deny["Statement"][0]["Resource"] == (
        "arn:aws:sqs:eu-west-1:123456789012:triggers-delivery"
    )


@pytest.mark.parametrize(
    ("experiment", "expected"),
    [
        ("ddb-added-latency", "method[0]: a Lambda action needs --function-arn"),
        ("cold-start-storm", "method[0]: cold_start_storm: recycling the environments needs"),
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


@pytest.mark.parametrize("experiment", [p.stem for p in sorted(SHIPPED.glob("*.yaml"))])
def test_dry_run_prints_the_plan_and_creates_nothing(
    experiment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["chaos", "run", experiment, "--target", "https://staging.example.com"]
    argv += ["--dry-run", "--fis-role-arn", ROLE, "--region", "eu-west-1"]
    argv += ["--function-arn", FUNCTION]
    with mock_aws():
        assert main(argv) == 0
        fis = boto3.client("fis", region_name="eu-west-1")
        assert fis.list_experiment_templates()["experimentTemplates"] == []
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["experiment_template"]["roleArn"] == ROLE
    assert set(doc) == {"start_at_s", "experiment_template", "alarms", "ssm_documents", "notes"}
    assert _shape_errors("fis", "CreateExperimentTemplate", doc["experiment_template"]) == ""
    assert "dry run: nothing created" in cap.err


def _with_method(loaded, method):  # type: ignore[no-untyped-def]
    return type(loaded)(
        loaded.path,
        loaded.experiment.model_copy(update={"method": method}),
        loaded.scenario_path,
        loaded.scenario,
        loaded.system,
    )


def test_disrupt_connectivity_for_a_restart_and_waits_for_a_later_start() -> None:
    """A minute or longer, with the function's subnets: FIS's own action; a second action
    60 s after the first waits with aws:fis:wait."""
    loaded = load_experiment(SHIPPED / "backend-restart.yaml")
    (first,) = loaded.experiment.method
    first = first.model_copy(update={"at_s": 20.0, "duration_s": 90.0})
    second = first.model_copy(update={"name": "again", "at_s": 80.0, "duration_s": 60.0})
    plan = fis_plan(
        _with_method(loaded, [first, second]), FisOptions(ROLE, "eu-west-1", None, (SUBNET,))
    )
    assert _shape_errors("fis", "CreateExperimentTemplate", plan.template) == ""
    assert plan.start_at_s == 20.0 and plan.documents == []
    actions = plan.template["actions"]
    assert actions["a0"]["parameters"] == {"duration": "PT90S", "scope": "dynamodb"}  # type: ignore[index]
    assert "startAfter" not in actions["a0"]  # type: ignore[operator]
    assert actions["wait1"]["parameters"] == {"duration": "PT60S"}  # type: ignore[index]
    assert actions["a1"]["startAfter"] == ["wait1"]  # type: ignore[index]


def test_a_short_restart_denies_the_table_with_a_resource_policy() -> None:
    """backend-restart's 15 s outage is shorter than disrupt-connectivity's minute: a runbook
    denies the table's data plane (not its DeleteResourcePolicy) and deletes the policy."""
    plan = fis_plan(
        load_experiment("backend-restart"), FisOptions(ROLE, "eu-west-1", None, (SUBNET,))
    )
    (doc,) = plan.documents
    steps = {s["name"]: s for s in _runbook_steps(doc)}
    policy = json.loads(steps["deny"]["inputs"]["Policy"])  # type: ignore[index]
    actions = policy["Statement"][0]["Action"]
    assert "dynamodb:PutItem" in actions and "dynamodb:DeleteResourcePolicy" not in actions
    assert steps["allow"]["inputs"]["Api"] == "DeleteResourcePolicy"  # type: ignore[index]
    assert steps["hold"]["inputs"] == {"Duration": "PT15S"}


def test_missing_role_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chaos", "run", str(FIX / "fis-lambda.yaml"), "--target", "https://x.example.com"]
    assert main([*argv, "--dry-run", "--region", "eu-west-1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --fis-role-arn: required for the FIS template (the role FIS assumes)"
    )
