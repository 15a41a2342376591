"""CLI behaviour a user notices: exit codes, one-line errors naming the field, JSON output."""

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "fixtures" / "bad"

CATALOGUE = {
    "unknown-key.yaml": "trafic_typo: unknown key",
    "wrong-type.yaml": "traffic.start_rate:",
    "negative-rate.yaml": "traffic.stages[0].target:",
    "bad-duration.yaml": "traffic.stages[0].duration: expected a duration",
    "empty.yaml": "file is empty",
    "invalid-yaml.yaml": "invalid YAML at line 4",
    "empty-stages.yaml": "traffic.stages:",
    "zero-weights.yaml": "mix: weights sum to 0",
    "bad-threshold.yaml": "thresholds.post_events[0]: 'p95 < 100' is not a k6 threshold",
    "systems/bad-system.yaml": "provisioned_concurrency exceeds reserved_concurrency",
    "missing.yaml": "file not found",
}


@pytest.mark.parametrize(("name", "expected"), sorted(CATALOGUE.items()))
def test_bad_input_catalogue(name, expected, capsys):
    code = main(["validate", str(BAD / name)])
    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out
    for line in captured.err.strip().splitlines()[:-1]:
        assert line.startswith("error: ") and str(BAD / name) in line


def test_all_problems_are_listed_not_just_the_first(capsys):
    assert main(["validate", str(BAD / "many-problems.yaml")]) == 2
    err = capsys.readouterr().err
    for field in (
        "name:",
        "traffic.start_rate:",
        "traffic.stages[0].duration:",
        "mix.post_events:",
        "color: unknown key",
    ):
        assert field in err
    assert "5 problem(s)" in err


def test_shipped_files_validate(capsys):
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
        (ROOT / "scenarios" / "systems").glob("*.yaml")
    )
    assert main(["validate", *map(str, files)]) == 0
    assert capsys.readouterr().out.count("ok ") == len(files)


def test_scenarios_json_lists_peaks_and_totals(capsys):
    assert main(["scenarios", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"smoke", "baseline", "ci-spike", "spike", "full-load", "mixed", "soak"} <= set(rows)
    assert rows["spike"]["peak_rate_per_s"] == 10000
    assert rows["full-load"]["peak_rate_per_s"] == 10000
    assert rows["full-load"]["total_requests"] == 2_700_000
    assert rows["smoke"]["total_requests"] == 3000
    assert rows["mixed"]["mix"] == {"post_events": 0.8, "get_inbox": 0.2}


@pytest.mark.parametrize("kind", ["scenario", "system", "result"])
def test_schema_is_json_schema(kind, capsys):
    assert main(["schema", kind]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert schema.get("additionalProperties") is False


def test_schema_rejects_unknown_kind(capsys):
    assert main(["schema", "nope"]) == 2
    assert "unknown kind 'nope'" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error(capsys):
    assert main(["scenarios", "--bogus"]) == 2


def test_show_missing_result_is_one_line(capsys):
    assert main(["show", "/nonexistent/result.json"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: result file not found: /nonexistent/result.json"


def test_env_var_sets_option(monkeypatch, capsys):
    monkeypatch.setenv("SCALING_LAB_JSON", "1")
    assert main(["scenarios"]) == 0
    assert json.loads(capsys.readouterr().out)
