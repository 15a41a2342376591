"""``scaling-lab k6-operator``: the TestRun manifest validates against k6-operator's CRD schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from scaling_lab.cli.main import main
from scaling_lab.load import operator as k6op
from scaling_lab.load.runner import prepare
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads(
    (ROOT / "tests" / "fixtures" / "k6-operator" / "testrun-v1alpha1.schema.json").read_text()
)
URL = "https://api.staging.example.com"


def strict(schema: Any) -> Any:
    """kubectl's strict field validation: an object's unknown fields are errors (the CRD lists
    ``properties``; the API server would otherwise drop unknown ones silently)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


VALIDATOR = jsonschema.Draft7Validator(strict(SCHEMA))


def manifest(tmp_path: Path, *extra: str) -> list[dict[str, Any]]:
    dest = tmp_path / "testrun.yaml"
    code = main(
        ["k6-operator", "smoke", "--target", URL, "--parallelism", "3", "-o", str(dest), *extra]
    )
    assert code == 0
    return list(yaml.safe_load_all(dest.read_text()))


def test_the_testrun_validates_against_k6_operators_crd(tmp_path):
    config_map, testrun = manifest(tmp_path, "--namespace", "load")
    errors = [e.message for e in VALIDATOR.iter_errors(testrun)]
    assert errors == []
    assert testrun["apiVersion"] == "k6.io/v1alpha1" and testrun["kind"] == "TestRun"
    spec = testrun["spec"]
    assert spec["parallelism"] == 3
    assert spec["script"]["configMap"] == {
        "name": config_map["metadata"]["name"],
        "file": "script.js",
    }
    assert "--out csv=/dev/stdout" in spec["arguments"]  # every runner streams its samples
    assert testrun["metadata"]["namespace"] == config_map["metadata"]["namespace"] == "load"


def test_the_configmap_holds_the_rendered_script_and_no_secret(tmp_path):
    config_map, testrun = manifest(tmp_path)
    sc = load_scenario("smoke")
    _, _, _, script = prepare(sc, load_system("staging"), target=URL)
    assert config_map["kind"] == "ConfigMap"
    assert config_map["data"]["script.js"] == script
    env = {e["name"]: e for e in testrun["spec"]["runner"]["env"]}
    assert env["SL_BASE_URL"]["value"] == URL
    assert env["SL_API_KEYS"] == {
        "name": "SL_API_KEYS",
        "valueFrom": {"secretKeyRef": {"name": "scaling-lab-api-key", "key": "api-key"}},
    }


def test_the_schema_check_catches_a_wrong_manifest():
    sc = load_scenario("smoke")
    objects = k6op.testrun_manifest(sc, "//", target=URL, parallelism=2, run_id="r1")
    bad = copy.deepcopy(objects[1])
    bad["spec"]["parallelism"] = "2"
    assert any("is not of type 'integer'" in e.message for e in VALIDATOR.iter_errors(bad))
    typo = copy.deepcopy(objects[1])
    typo["spec"]["runner"]["envs"] = typo["spec"]["runner"].pop("env")
    assert list(VALIDATOR.iter_errors(typo))
    del typo["spec"]["script"]
    assert any("'script' is a required property" in e.message for e in VALIDATOR.iter_errors(typo))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "local"], "needs the API's URL"),
        (["--target", "https://api.prod.example.com"], "looks like production"),
        (["--target", URL, "--parallelism", "0"], "parallelism"),
    ],
)
def test_refusals(args, message, capsys):
    assert main(["k6-operator", "smoke", *args]) == 2
    assert message in capsys.readouterr().err
