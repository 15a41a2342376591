"""`scaling-lab observe` on an observed result, against CloudWatch (moto's in-process AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from scaling_lab.cli.main import main
from scaling_lab.result import Provenance, ResultBuilder, ResultKind, load_result, save_result
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system

START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)


def _observed(tmp_path: Path, kind: ResultKind = ResultKind.OBSERVED) -> Path:
    b = ResultBuilder(
        load_scenario("smoke"),
        load_system("staging"),
        kind,
        Provenance(target="https://staging.example", started_at=START),
    )
    for t in range(30):
        b.record(t + 0.5, "post_events", 20.0)
    return save_result(b.build(), tmp_path / "run.json")


def _put_concurrency(aws, value: float) -> None:  # type: ignore[no-untyped-def]
    aws.put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "ConcurrentExecutions",
                "Dimensions": [{"Name": "FunctionName", "Value": "triggers-api"}],
                "Timestamp": START + timedelta(seconds=5),
                "Value": value,
            }
        ],
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def test_observe_merges_lambda_concurrency_from_cloudwatch(tmp_path, aws, capsys):
    _put_concurrency(aws, 42.0)
    path = _observed(tmp_path)
    assert load_result(path).summary.max_lambda_concurrency is None  # k6 alone cannot see it
    assert main(["observe", str(path)]) == 0
    merged = load_result(tmp_path / "run-cloudwatch.json")
    assert merged.summary.max_lambda_concurrency == 42.0
    assert "lambda_concurrency" in capsys.readouterr().out


def test_observe_refuses_a_predicted_result(tmp_path, aws, capsys):
    path = _observed(tmp_path, ResultKind.PREDICTED)
    assert main(["observe", str(path)]) == 2
    assert "needs an observed result" in capsys.readouterr().err


def test_an_empty_cloudwatch_answer_merges_nothing_and_says_so(tmp_path, aws, capsys):
    # an endpoint with no metrics for this function/window: nothing is observed, so nothing
    # may turn from null (n/a) into 0
    path = _observed(tmp_path)
    assert main(["observe", str(path)]) == 3
    err = capsys.readouterr().err
    assert "returned no datapoints for any of" in err and "nothing merged" in err
    assert not (tmp_path / "run-cloudwatch.json").exists()
    assert load_result(path).summary.ddb_throttled is None


def test_figures_without_datapoints_stay_null(tmp_path, aws, capsys):
    _put_concurrency(aws, 7.0)
    path = _observed(tmp_path)
    assert main(["observe", str(path)]) == 0
    captured = capsys.readouterr()
    assert "merged 1 CloudWatch figure(s): lambda_concurrency" in captured.out
    assert "left null" in captured.err and "ddb_throttled" in captured.err
    merged = load_result(tmp_path / "run-cloudwatch.json")
    s = merged.summary
    assert s.max_lambda_concurrency == 7.0
    assert s.ddb_throttled is None and s.max_sqs_depth is None and s.cold_starts is None
    assert all(x.ddb_throttled is None and x.ddb_consumed_wcu is None for x in merged.series)
    assert main(["show", str(tmp_path / "run-cloudwatch.json")]) == 0
    shown = capsys.readouterr().out
    assert "throttled requests n/a" in shown


@pytest.mark.parametrize("url", ["notaurl", "ftp://x", "http://", "http://h:99999", "http://h:0"])
def test_a_malformed_endpoint_url_is_exit_2_before_anything(tmp_path, capsys, url):
    path = _observed(tmp_path)
    assert main(["observe", str(path), "--endpoint-url", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: --endpoint-url {url!r}: expected an http(s) URL such as http://localhost:4566"
    )
    out = tmp_path / "monitoring"
    argv = ["alarms", "smoke", "--apply", "--endpoint-url", url, "--out", str(out)]
    assert main(argv) == 2
    assert "--endpoint-url" in capsys.readouterr().err
    assert not out.exists()  # refused before the files were written


def test_an_unreadable_result_is_named_once(tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text("[", encoding="utf-8")
    assert main(["observe", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count(str(path)) == 1, err
