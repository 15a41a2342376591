"""`chaos run --target URL`: k6 against a URL (here the fake API on loopback) while AWS FIS
(moto's, in this process) runs the experiment: the template, runbooks and alarms created, the
experiment started at the method's first start and stopped by the rollbacks, a stop condition
stopping the load, the journal (~10 s of load at 40 req/s each)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from scaling_lab.chaos.fis import FisOptions, fis_plan
from scaling_lab.chaos.loader import load_experiment
from scaling_lab.chaos.url_target import check_deployed, run_on_url
from scaling_lab.cli.main import main
from scaling_lab.errors import ExitCode, ValidationFailed
from tests.fixtures.k6.fake_api import running

CHAOS = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"
ROLE = "arn:aws:iam::123456789012:role/fis-experiments"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:triggers-api"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


def _staging_table(write: int = 5000, read: int = 1000) -> None:
    """The staging system's table as deployed: 5,000 WCU, 1,000 RCU, both inbox indexes
    written and read like the table."""
    gsi = {
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write},
    }
    boto3.client("dynamodb", region_name="eu-west-1").create_table(
        TableName="triggers-events",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g1", "g2")
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "inbox",
                "KeySchema": [{"AttributeName": "g1", "KeyType": "HASH"}],
                **gsi,
            },
            {
                "IndexName": "inbox_by_type",
                "KeySchema": [{"AttributeName": "g2", "KeyType": "HASH"}],
                **gsi,
            },
        ],
        ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write},
    )


def test_fis_runs_the_experiment_under_the_load_and_the_rollback_stops_it(tmp_path):
    loaded = load_experiment(CHAOS / "url-storm.yaml")
    plan = fis_plan(loaded, FisOptions(ROLE, "eu-west-1", FUNCTION))
    with mock_aws(), running() as url:
        _staging_table()
        session = boto3.Session(region_name="eu-west-1")
        outcome = run_on_url(loaded, plan, session, url=url, api_key="k", out_dir=tmp_path)
        fis = session.client("fis")
        (experiment,) = fis.list_experiments()["experiments"]
        docs = session.client("ssm").list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])[
            "DocumentIdentifiers"
        ]
    assert [d["Name"] for d in docs] == [plan.documents[0]["Name"]]
    # started once, when the load reached the storm's start (3 s), and stopped by the rollback
    assert experiment["state"]["status"] == "stopped"
    local = outcome.local
    assert local is not None and local.stopped_by is None
    (rollback,) = local.rollbacks
    assert rollback.succeeded and rollback.output["status_after"] == "stopped"
    (fault,) = local.faults
    assert (
        fault["injected"] == "fis" and fault["fis_action"] == "aws:ssm:start-automation-execution"
    )
    assert fault["applied_epoch_s"] - local.t0_epoch_s == pytest.approx(3.0, abs=2.0)
    assert outcome.target == "url" and outcome.result.summary.requests >= 300
    assert any("auto scaling may raise it" in line for line in local.audit)


def test_a_deployed_capacity_other_than_the_system_files_is_refused_before_anything():
    loaded = load_experiment(CHAOS / "url-storm.yaml")
    plan = fis_plan(loaded, FisOptions(ROLE, "eu-west-1", FUNCTION))
    with mock_aws():
        _staging_table(write=4000)
        with pytest.raises(ValidationFailed) as exc:
            check_deployed(loaded, plan, boto3.Session(region_name="eu-west-1"))
        templates = boto3.client("fis", region_name="eu-west-1").list_experiment_templates()
    lines = [str(p) for p in exc.value.problems]
    assert any(
        "dynamodb.write.provisioned: WriteCapacityUnits is 4000 deployed but 5000" in m
        for m in lines
    )
    assert any("dynamodb.gsis[inbox]: index inbox WriteCapacityUnits is 4000" in m for m in lines)
    assert templates["experimentTemplates"] == []


def test_a_stop_condition_stops_the_staging_load_and_the_experiment(tmp_path, capsys):
    exp = str(CHAOS / "url-abort.yaml")
    with mock_aws(), running({"FAKE_API_FAIL_AFTER_S": "2"}) as url:
        code = main(
            [
                "chaos", "run", exp, "--target", url, "--api-key", "k", "--out", str(tmp_path),
                "--no-live", "--fis-role-arn", ROLE, "--region", "eu-west-1",
                "--function-arn", FUNCTION,
            ]
        )  # fmt: skip
        fis = boto3.client("fis", region_name="eu-west-1")
        (experiment,) = fis.list_experiments()["experiments"]
    assert code == ExitCode.HYPOTHESIS_DEVIATED, capsys.readouterr().err
    (folder,) = tmp_path.glob("chaos-url-abort-*")
    journal = json.loads((folder / "journal.json").read_text())
    assert journal["status"] == "aborted" and journal["deviated"] is True
    sl = journal["scaling_lab"]
    assert sl["target"] == "url" and sl["aborted"] is True
    assert sl["stopped_by"] == "error rate: rate<0.5 for 2s"
    assert sl["ended_s"] < 9.0  # 10 s planned; every request fails from 2 s
    (rollback,) = journal["rollbacks"]
    assert rollback["status"] == "succeeded"
    assert rollback["output"]["fis"].startswith("StopExperiment ")
    assert experiment["state"]["status"] == "stopped"
    (action,) = journal["run"]
    assert action["output"]["injected"] == "fis"
    assert action["output"]["fis_action"] == "aws:lambda:invocation-error"
    # the staging run folder reports like any chaos folder, and compares with a prediction
    out = tmp_path / "report"
    assert main(["report", str(folder), "--out", str(out)]) == 0
    md = (out / "PERFORMANCE_BASELINE.md").read_text()
    assert "## Chaos experiment: every invocation fails; the stop condition stops" in md
    assert (out / "plots" / "chaos-timeline.png").stat().st_size > 5_000
    predicted = tmp_path / "predicted"
    assert main(["chaos", "run", exp, "--out", str(predicted)]) == ExitCode.HYPOTHESIS_DEVIATED
    (pred_folder,) = predicted.glob("chaos-url-abort-*")
    capsys.readouterr()
    code = main(["chaos", "compare", str(pred_folder), str(folder), "--json"])
    doc = json.loads(capsys.readouterr().out)
    # the model predicts the fault's errors from 2 s; the staging API failed from 2 s
    assert code == ExitCode.OK and doc["observed_target"] == "url", doc
    assert (doc["compared"], doc["agreed"]) == (2, 2)
    during = next(p for p in doc["pairs"] if p["phase"] == "during:errors")
    assert during["predicted"]["verdict"] == during["observed"]["verdict"] == "deviated"
