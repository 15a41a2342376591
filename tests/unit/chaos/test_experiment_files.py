"""Experiment files: every bad one refused with one line naming the file and the field; the
shipped ones load; the schema and its generated reference page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.chaos.reference import DOC_PATH, render_experiment_reference
from scaling_lab.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "fixtures" / "chaos" / "bad"
SHIPPED = sorted((ROOT / "scenarios" / "experiments").glob("*.yaml"))

CATALOGUE = {
    "unknown-key.yaml": "rollback: unknown key (not allowed here)",
    "bad-tolerance.yaml": "steady_state_hypothesis.probes[0].tolerance: 'p95 < 100' is not a k6",
    "unknown-figure.yaml": "steady_state_hypothesis.probes[0]: figure 'dynamo_throttles' is not",
    "both-endpoint-and-figure.yaml": "probes[0]: give exactly one of 'endpoint' or 'figure'",
    "value-on-endpoint.yaml": "probes[0]: tolerance 'value<3': an endpoint probe reads",
    "recovery-not-value.yaml": "probes[1]: tolerance 'max<3': recovery_time is one number",
    "unknown-kind.yaml": "method[0].kind: Input should be 'dynamodb_errors'",
    "missing-rate.yaml": "method[0]: kind 'lambda_errors' needs 'rate'",
    "storm-not-lambda.yaml": "method[0]: cold_start_storm recycles Lambda's environments: target",
    "bad-duration.yaml": "method[0].at: expected a duration like '30s'",
    "zero-duration.yaml": "method[0].duration: Input should be greater than 0",
    "after-the-load.yaml": "method[0].at: starts at 30 s, after the load ends (20 s of scenario",
    "empty-method.yaml": "method: List should have at least 1 item",
    "stop-names-no-probe.yaml": "stop_conditions[0].probe: 'errors' names no probe",
    "stop-window.yaml": "stop_conditions[0]: tolerance 'rate<0.5 over 5s': a stop condition",
    "duplicate-probe.yaml": "steady_state_hypothesis: probe names must be unique; given twice: e",
    "unknown-scenario.yaml": "scenario: unknown scenario 'no-such-scenario'",
    "restart-lambda.yaml": "method[0]: backend_restart restarts a backend",
    "rate-above-one.yaml": "method[0].rate: Input should be less than or equal to 1",
    "inf-latency.yaml": "method[0].latency_ms: must be a finite number",
    "invalid-yaml.yaml": "invalid YAML at line 3",
    # one line for a value no member of `Endpoint | 'all'` takes, not one per member
    "unknown-endpoint.yaml": "probes[0].endpoint: Input should be 'post_events', 'get_inbox' or",
    "a-scenario.yaml": "this is a scenario, not a chaos experiment",
}


def test_every_bad_file_has_an_expected_message() -> None:
    assert {p.name for p in BAD.glob("*.yaml")} == set(CATALOGUE)


@pytest.mark.parametrize(("name", "expected"), sorted(CATALOGUE.items()))
def test_bad_experiment_catalogue(name: str, expected: str, capsys: pytest.CaptureFixture[str]):
    path = BAD / name
    for argv in (["chaos", "validate", str(path)], ["chaos", "run", str(path), "--out", "/tmp"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1, err
        assert errors[0].startswith(f"error: {path}: ") and expected in errors[0], err
        assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_experiments_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", "validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("ok ")


def test_shipped_experiments_are_the_documented_ones() -> None:
    assert {p.stem for p in SHIPPED} == {
        "ddb-throttle-storm",
        "backend-restart",
        "sqs-unavailable",
        "ddb-added-latency",
        "cold-start-storm",
    }
    doc = (ROOT / "docs" / "chaos.md").read_text(encoding="utf-8")
    for p in SHIPPED:
        assert f"chaos run {p.stem}" in doc


def test_schema_is_strict_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "experiment"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert {"scenario", "steady_state_hypothesis", "method"} <= set(schema["required"])
    assert schema["$defs"]["Action"]["additionalProperties"] is False


def test_committed_experiment_reference_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_experiment_reference(), (
        "docs/experiment-reference.md is stale: run python -m scaling_lab.chaos.reference --write"
    )


def test_reference_covers_every_key() -> None:
    from scaling_lab.chaos.models import Action, Experiment, Probe

    text = render_experiment_reference()
    for model in (Experiment, Action, Probe):
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in text
    assert "| `at` | duration |" in text


def test_an_unknown_scenario_lists_scenarios_not_the_experiments_beside_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["chaos", "validate", str(BAD / "unknown-scenario.yaml")]) == 2
    err = capsys.readouterr().err
    assert "smoke" in err and "a-scenario" in err  # shipped, and a scenario in that folder
    assert "unknown-figure" not in err and "invalid-yaml" not in err, err
