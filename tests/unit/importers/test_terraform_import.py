"""``scaling-lab import terraform``: the story's HCL reproduces scenarios/systems/staging.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scaling_lab.cli.main import main
from scaling_lab.importers import import_terraform
from scaling_lab.system import load_system
from scaling_lab.system.models import SystemConfig

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "tests" / "fixtures" / "terraform"


def paths(d: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf path of a nested dict (lists are leaves)."""
    if isinstance(d, dict):
        return [p for k, v in d.items() for p in paths(v, (*prefix, k))]
    return [prefix]


def at(d: Any, path: tuple[str, ...]) -> Any:
    for k in path:
        d = d[k]
    return d


def test_story_hcl_imports_to_staging_where_they_overlap():
    imported = import_terraform(TF / "staging", name="staging")
    ours = SystemConfig.model_validate(imported.system).model_dump(by_alias=True, mode="json")
    staging = load_system(ROOT / "scenarios" / "systems" / "staging.yaml").model_dump(
        by_alias=True, mode="json"
    )
    # Terraform does not say how an index's key spreads tenants (gsis[].key): not compared
    for doc in (ours, staging):
        for g in doc["dynamodb"]["gsis"]:
            g.pop("key")
    overlap = [p for p in paths(imported.system) if p[0] not in ("name", "description")]
    differences = {
        ".".join(p): (at(ours, p), at(staging, p)) for p in overlap if at(ours, p) != at(staging, p)
    }
    assert differences == {}
    # what the story's Terraform states, all of it read
    covered = {".".join(p) for p in overlap}
    assert {
        "region",
        "front_door.kind",
        "lambda.memory_mb",
        "lambda.timeout_s",
        "lambda.reserved_concurrency",
        "lambda.provisioned_concurrency",
        "lambda.account_concurrency",
        "dynamodb.mode",
        "dynamodb.table",
        "dynamodb.write.provisioned",
        "dynamodb.write.auto_scaling.min",
        "dynamodb.write.auto_scaling.max",
        "dynamodb.write.auto_scaling.target_utilization_pct",
        "dynamodb.read.provisioned",
        "dynamodb.read.auto_scaling.target_utilization_pct",
        "dynamodb.gsis",
        "sqs.queue",
        "sqs.consumer.batch_size",
    } <= covered


def test_the_api_function_is_the_one_behind_the_url():
    # the fixture also has the delivery worker (256 MB); the URL points at the API (512 MB)
    assert import_terraform(TF / "staging", name="s").system["lambda"]["memory_mb"] == 512


def test_unknown_values_are_reported_not_guessed(tmp_path):
    text = (TF / "staging" / "main.tf").read_text()
    text = text.replace(
        "memory_size                    = 512", "memory_size                    = var.memory"
    )
    text = text.replace(
        "reserved_concurrent_executions = 1000",
        "reserved_concurrent_executions = max(1000, var.floor)",
    )
    text += '\nvariable "memory" {\n  type = number\n}\n'
    (tmp_path / "main.tf").write_text(text)
    got = import_terraform(tmp_path, name="s")
    assert "memory_mb" not in got.system["lambda"]
    assert "reserved_concurrency" not in got.system["lambda"]
    notes = "\n".join(got.notes)
    assert "aws_lambda_function.api.memory_size = var.memory: not known" in notes
    assert "reserved_concurrent_executions" in notes and "max(" in notes


def test_plan_json_with_api_gateway_on_demand_and_a_computed_value():
    got = import_terraform(TF / "apigw-on-demand.plan.json", name="apigw")
    s = got.system
    assert s["region"] == "eu-west-1"
    assert s["front_door"] == {"kind": "api_gateway", "rate_per_s": 2500.0, "burst": 1200}
    assert s["lambda"] == {"memory_mb": 1024, "timeout_s": "15s"}  # -1: nothing reserved
    assert s["dynamodb"] == {
        "mode": "on_demand",
        "table": "triggers-events",
        "on_demand_warm_wcu": 6000.0,
        "on_demand_warm_rcu": 15000.0,
        "gsis": [{"name": "status-index", "projection": "keys_only"}],
    }
    assert any("quota.lambda.value = (known after apply)" in n for n in got.notes)
    SystemConfig.model_validate(s)


def test_cli_writes_a_system_file_the_loader_reads(tmp_path, capsys):
    dest = tmp_path / "system.yaml"
    assert main(["import", "terraform", str(TF / "staging"), "-o", str(dest)]) == 0
    loaded = load_system(dest)
    assert loaded.name == "system" and loaded.lambda_.reserved_concurrency == 1000
    assert loaded.dynamodb.write is not None and loaded.dynamodb.write.auto_scaling is not None
    assert "# note: " in dest.read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('resource "aws_lambda_function" "x" {\n  memory_size = \n}\n', "not valid HCL"),
        ('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n', "no aws_lambda_function"),
    ],
)
def test_bad_terraform_is_one_line_naming_the_file(tmp_path, capsys, content, message):
    (tmp_path / "main.tf").write_text(content)
    assert main(["import", "terraform", str(tmp_path), "-o", str(tmp_path / "o.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_an_invalid_result_names_the_field(tmp_path, capsys):
    text = (TF / "staging" / "main.tf").read_text().replace("value        = 1100", "value = 1000")
    (tmp_path / "main.tf").write_text(text)
    assert main(["import", "terraform", str(tmp_path), "-o", str(tmp_path / "o.yaml")]) == 2
    assert "reserved_concurrency 1000 leaves less than" in capsys.readouterr().err


@pytest.mark.parametrize(
    "doc",
    [
        '{"values": 5}',
        '{"planned_values": {"root_module": 3}}',
        '{"planned_values": {"root_module": {"resources": [{"values": {}}]}}}',
        '{"planned_values": {"root_module": {"resources": []}}, "resource_changes": [1]}',
        '{"planned_values": {"root_module": {"resources": 7}}}',
    ],
)
def test_json_of_another_shape_is_one_line_naming_the_file(tmp_path, capsys, doc):
    show = tmp_path / "show.json"
    show.write_text(doc, encoding="utf-8")
    assert main(["import", "terraform", str(show), "-o", str(tmp_path / "o.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {show}: "), err
    assert "internal error" not in err
