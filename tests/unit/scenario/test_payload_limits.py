"""What the API and DynamoDB refuse is refused as input, with the field named: bodies over the
API's limit (413), items over DynamoDB's 400 KB, strongly consistent reads of an index."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.scenario.models import MAX_BODY_BYTES, SQS_MESSAGE_BYTES

ROOT = Path(__file__).resolve().parents[3]
STAGING = ROOT / "scenarios" / "systems" / "staging.yaml"


def _scenario(tmp_path: Path, payload: str) -> Path:
    p = tmp_path / "sc.yaml"
    p.write_text(
        "name: limits\ntraffic:\n  stages: [{duration: 5s, target: 20}]\n"
        f"mix: {{post_events: 1}}\npayload: {payload}\n"
    )
    return p


def test_the_body_limit_is_the_apps_and_fits_one_sqs_message() -> None:
    from emulator.app.settings import DEFAULT_MAX_BODY_BYTES
    from scaling_lab.aws.sqs import SQS_MAX_MESSAGE_BYTES

    assert MAX_BODY_BYTES == DEFAULT_MAX_BODY_BYTES
    assert SQS_MESSAGE_BYTES == SQS_MAX_MESSAGE_BYTES


def test_a_payload_over_the_apis_body_limit_is_refused(tmp_path, capsys) -> None:
    sc = _scenario(tmp_path, "{size_bytes: {min: 1000, max: 250000}}")
    assert main(["validate", str(sc)]) == 2
    err = capsys.readouterr().err
    assert "payload: size_bytes.max: 250000 bytes is over max_body_bytes (200000)" in err


def test_a_body_limit_over_one_sqs_message_is_refused(tmp_path, capsys) -> None:
    sc = _scenario(tmp_path, "{max_body_bytes: 300000}")
    assert main(["validate", str(sc)]) == 2
    assert "payload.max_body_bytes: Input should be less than or equal to 262144" in (
        capsys.readouterr().err
    )


def test_an_item_over_dynamodbs_limit_is_refused_before_the_model_runs(tmp_path, capsys) -> None:
    system = tmp_path / "big-items.yaml"
    system.write_text(
        STAGING.read_text().replace("item_overhead_bytes: 186", "item_overhead_bytes: 250000")
    )
    sc = _scenario(tmp_path, "{size_bytes: {min: 100000, max: 200000}}")
    code = main(["predict", str(sc), "--system", str(system), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert (
        "dynamodb.item_overhead_bytes: 250000 bytes on top of payload.size_bytes.max 200000" in err
    )
    assert len([ln for ln in err.splitlines() if ln.startswith("error")]) == 1
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("value", ["false", "no"])
def test_strongly_consistent_index_reads_are_refused(tmp_path, capsys, value) -> None:
    system = tmp_path / "strong.yaml"
    system.write_text(
        f"name: strong\ndynamodb: {{mode: on_demand, eventually_consistent_reads: {value}}}\n"
    )
    assert main(["validate", str(system)]) == 2
    err = capsys.readouterr().err
    assert "dynamodb: eventually_consistent_reads: the inbox query reads a global secondary" in err
