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
    # numbers: finite, and within what the engines represent (scaling_lab.scenario.limits)
    "inf-rate.yaml": "traffic.stages[0].target: must be a finite number",
    "nan-rate.yaml": "traffic.start_rate: must be a finite number",
    "string-infinity.yaml": "traffic.stages[0].target: must be a finite number (got '1e999')",
    "huge-rate.yaml": "traffic.stages[0].target: Input should be less than or equal to 1000000",
    "rate-above-limit.yaml": "traffic.stages[0].target: Input should be less than or equal to",
    "scale-peak.yaml": "peak rate 2,000,000 req/s (targets x scale 1000) is above",
    "inf-duration.yaml": "traffic.stages[0].duration: must be a finite number",
    "huge-duration.yaml": "traffic.stages[0].duration: Input should be less than or equal to 6048",
    "long-traffic.yaml": "traffic: stages last 90,000 s in all; at most 86,400 s",
    "zero-length.yaml": "traffic: stages last 0 s in all; a run needs a stage longer than 0 s",
    "bool-duration.yaml": "traffic.stages[0].duration: expected a duration like '30s' or",
    "huge-seed.yaml": "seed: Input should be less than or equal to 4294967295",
    "negative-seed.yaml": "seed: Input should be greater than or equal to 0",
    "huge-int.yaml": "invalid YAML value: Exceeds the limit (4300 digits)",
    "page-zero.yaml": "inbox.pages[0]: Input should be greater than or equal to 1",
    "fault-latency-huge.yaml": "faults[0].latency_ms: Input should be less than or equal to 9",
    "fault-storm-not-lambda.yaml": "faults[0]: fault kind 'cold_start_storm' recycles Lambda's",
    "payload-size-huge.yaml": "payload.size_bytes.max: Input should be less than or equal to 4",
    "systems/zero-interval.yaml": "lambda.scaling.interval_s: Input should be greater than",
    "systems/zero-datapoint.yaml": "dynamodb.write.auto_scaling.datapoint_s: Input should be",
    "systems/empty-empirical.yaml": "lambda.cold_start_ms.samples_ms: List should have at least 1",
    "systems/nan-sample.yaml": "lambda.cold_start_ms.samples_ms[1]: must be a finite number",
    "systems/inf-capacity.yaml": "dynamodb.write.provisioned: must be a finite number",
    "systems/huge-capacity.yaml": "lambda.account_concurrency: must be at most 1e+15 in size",
    "systems/instant-consumer.yaml": "sqs.consumer: service_time_ms: the consumer's mean time",
    # YAML: unique keys, bounded depth, size and alias expansion, UTF-8
    "duplicate-key.yaml": "line 4, column 1: duplicate key 'traffic' (first given at line 2)",
    "duplicate-nested-key.yaml": "duplicate key 'target' (first given at line 3)",
    "systems/duplicate-key.yaml": "duplicate key 'dynamodb' (first given at line 2)",
    "deep-nesting.yaml": "nested deeper than 32 levels",
    "alias-bomb.yaml": "expands (through aliases) to 123,456,808 nodes",
    "recursive-alias.yaml": "line 3, column 10: recursive alias: the node anchored here contains",
    "nul-byte.yaml": "line 2, column 10: character #x0000 is not allowed",
    "not-utf8.yaml": "not UTF-8 text",
}
EDGE = ROOT / "tests" / "fixtures" / "edge"
STAGING = ROOT / "scenarios" / "systems" / "staging.yaml"
TINY = EDGE / "tiny-mixed.yaml"  # every endpoint, so a system must define each


def _catalogue_files() -> list[Path]:
    files = [*BAD.glob("*.yaml"), *BAD.glob("systems/*.yaml")]
    return sorted([*files, *EDGE.glob("*.yaml"), *EDGE.glob("systems/*.yaml")])


def test_every_bad_file_has_an_expected_message():
    named = {str(p.relative_to(BAD)) for p in BAD.rglob("*.yaml")}
    assert named <= set(CATALOGUE) | {"many-problems.yaml"}, named - set(CATALOGUE)


def _predict_argv(path: Path, out: Path) -> list[str]:
    if path.parent.name == "systems":
        return ["predict", str(TINY), "--system", str(path), "--out", str(out)]
    return ["predict", str(path), "--system", str(STAGING), "--out", str(out)]


@pytest.mark.parametrize("path", _catalogue_files(), ids=lambda p: p.name)
def test_validate_and_predict_agree_on_every_catalogue_file(path, tmp_path, capsys):
    """Both accept, or both refuse with exit 2 and one line naming the file; never exit 1."""
    validated = main(["validate", str(path)])
    v = capsys.readouterr()
    predicted = main(_predict_argv(path, tmp_path))
    p = capsys.readouterr()
    assert validated in (0, 2) and predicted in (0, 2, 99), (validated, predicted, p.err)
    assert (validated == 0) == (predicted in (0, 99)), (v.err, p.err)
    assert (path.is_relative_to(BAD)) == (validated == 2), v.err
    if validated == 2:
        errors = [ln for ln in p.err.splitlines() if ln.startswith("error: ")]
        assert errors and all(str(path) in ln for ln in errors), p.err
        assert errors == [ln for ln in v.err.splitlines() if ln.startswith("error: ")]
    assert "Traceback" not in v.err + p.err and "internal error" not in v.err + p.err


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path, capsys):
    from scaling_lab.scenario.limits import MAX_FILE_BYTES

    big = tmp_path / "big.yaml"
    big.write_text("name: big\ndescription: '" + "x" * MAX_FILE_BYTES + "'\n")
    for argv in (["validate", str(big)], ["predict", str(big), "--system", str(STAGING)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"error: {big}: file is larger than 1,048,576 bytes" in err


@pytest.mark.parametrize(("name", "expected"), sorted(CATALOGUE.items()))
def test_bad_input_catalogue(name, expected, capsys):
    code = main(["validate", str(BAD / name)])
    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out
    for line in captured.err.strip().splitlines()[:-1]:
        assert line.startswith("error: ") and str(BAD / name) in line


def test_validate_checks_every_file_after_a_recursive_alias_or_a_nul_byte(capsys):
    files = [BAD / "recursive-alias.yaml", BAD / "nul-byte.yaml", ROOT / "scenarios" / "smoke.yaml"]
    assert main(["validate", *map(str, files)]) == 2
    captured = capsys.readouterr()
    errors = [ln for ln in captured.err.splitlines() if ln.startswith("error: ")]
    assert [e.split(": ")[1] for e in errors] == [str(files[0]), str(files[1])]
    assert f"ok  {files[2]}" in captured.out


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


@pytest.mark.parametrize("kind", ["scenario", "system", "result", "experiment"])
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


@pytest.mark.parametrize("command", ["predict", "run"])
def test_out_naming_a_file_or_an_unwritable_place_is_exit_2_before_running(
    command, tmp_path, capsys, monkeypatch
):
    import scaling_lab.model

    ran: list[str] = []
    monkeypatch.setattr(scaling_lab.model, "predict", lambda *a, **k: ran.append("model"))
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out_dir, why in ((afile, "is a file"), (afile / "sub", "cannot write in")):
        assert (
            main([command, "smoke", "--out", str(out_dir), "--no-live"][: 4 + (command == "run")])
            == 2
        )
        err = capsys.readouterr().err
        assert err.startswith("error: --out: ") and why in err and str(out_dir) in err
        assert "internal error" not in err
    assert ran == []


def test_shipped_systems_declare_every_index_the_scenarios_use(capsys):
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
        (ROOT / "scenarios" / "systems").glob("*.yaml")
    )
    assert main(["validate", *map(str, files)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_validate_warns_for_an_index_the_system_does_not_declare(tmp_path, capsys):
    system = tmp_path / "one-index.yaml"
    system.write_text(
        "name: one-index\n"
        "dynamodb:\n"
        "  write: {provisioned: 5000}\n"
        "  read: {provisioned: 5000}\n"
        "  gsis: [{name: inbox}]\n",
        encoding="utf-8",
    )
    mixed = ROOT / "scenarios" / "mixed.yaml"  # post_events and get_inbox
    assert main(["validate", str(mixed), "--system", str(system)]) == 0  # a warning, not an error
    err = " ".join(capsys.readouterr().err.split())
    assert "endpoint post_events uses the app's index 'inbox_by_type'" in err
    assert "'inbox' " not in err  # declared
    # the same when the system file is one of the files validated
    assert main(["validate", str(mixed), str(system)]) == 0
    assert "inbox_by_type" in capsys.readouterr().err


def test_validate_names_an_unknown_system_option(capsys):
    assert main(["validate", str(ROOT / "scenarios" / "spike.yaml"), "--system", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--system: unknown system 'nope'" in err and "Traceback" not in err


def test_validate_checks_the_system_a_scenario_names(tmp_path, capsys):
    scen = Path(__file__).resolve().parents[3] / "scenarios" / "smoke.yaml"
    text = scen.read_text()
    bad = tmp_path / "nosuch.yaml"
    bad.write_text(text.replace("system: staging", "system: nosuch"))
    assert "system: nosuch" in bad.read_text()
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "system 'nosuch'" in err and "unknown system" in err
    # with --system the scenario is paired explicitly: a warning, not an error
    assert main(["validate", str(bad), "--system", "staging"]) == 0
    assert "--system staging used instead" in capsys.readouterr().err


def test_a_relative_system_path_resolves_against_the_scenario_folder(tmp_path, capsys, monkeypatch):
    shipped = Path(__file__).resolve().parents[3] / "scenarios"
    (tmp_path / "team" / "sys").mkdir(parents=True)
    (tmp_path / "team" / "sys" / "mine.yaml").write_text(
        (shipped / "systems" / "staging.yaml").read_text().replace("name: staging", "name: mine")
    )
    scen = tmp_path / "team" / "spike-mine.yaml"
    scen.write_text(
        (shipped / "smoke.yaml").read_text().replace("system: staging", "system: sys/mine.yaml")
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the scenario's folder
    assert main(["validate", str(scen)]) == 0, capsys.readouterr().err
    assert main(["predict", str(scen), "--scale", "0.1", "--out", str(tmp_path / "o")]) in (0, 99)
    (tmp_path / "team" / "sys" / "mine.yaml").unlink()
    assert main(["validate", str(scen)]) == 2
    assert "system file not found" in capsys.readouterr().err


def test_user_text_in_a_message_is_printed_as_written(capsys):
    """Rich's emoji codes are off: ':smile:' and 'a:b:c' are echoed, not turned into emoji."""
    assert main(["predict", "x:smile:y.yaml"]) == 2
    assert "x:smile:y.yaml" in capsys.readouterr().err
    argv = ["plan", "smoke", "--range", "lambda.reserved_concurrency=a:b:c", "--seeds", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "=a:b:c" in err and "\N{NEGATIVE SQUARED LATIN CAPITAL LETTER B}" not in err, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["predict", "smoke", "--set", "lambda.reserved_concurrency=[1,2"],
            "error: --set lambda.reserved_concurrency: invalid YAML at line 1, column 5: ",
        ),
        (
            ["plan", "smoke", "--choice", "sdk.retry_mode=[", "--seeds", "1"],
            "error: --choice 'sdk.retry_mode=[': invalid YAML at line 1, column 2: ",
        ),
        (
            ["predict", str(STAGING)],
            f"error: {STAGING}: this is a system file, not a scenario (give it with --system)",
        ),
        (
            ["validate", str(ROOT / "scenarios" / "experiments" / "backend-restart.yaml")],
            "this is a chaos experiment, not a scenario (run it with `chaos run`",
        ),
        (
            ["predict", "smoke", "--system", str(ROOT / "scenarios" / "smoke.yaml")],
            "this is a scenario, not a system file",
        ),
    ],
)
def test_a_bad_value_or_the_wrong_kind_of_file_is_one_line(argv, expected, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path)] if argv[0] != "validate" else argv) == 2
    errors = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len([ln for ln in errors if not ln.endswith("file(s)")]) == 1, errors
    assert expected in errors[0], errors


def test_an_unknown_system_is_named_where_it_was_given(tmp_path, capsys):
    scen = tmp_path / "nosys.yaml"
    scen.write_text((ROOT / "scenarios" / "smoke.yaml").read_text().replace("staging", "nosuch"))
    assert main(["predict", str(scen), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {scen}: system: unknown system 'nosuch'")
    assert main(["run", str(scen), "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {scen}: system: unknown system 'nosuch'")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "system: nosuch\nseeds: 1\n"
        "ranges: [{paths: [lambda.reserved_concurrency], lo: 10, hi: 30, step: 10}]\n"
    )
    assert main(["plan", "smoke", "--plan", str(plan), "--out", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {plan}: system: unknown system 'nosuch'")
    assert main(["predict", "smoke", "--system", "nosuch", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith("error: --system: unknown system 'nosuch'")


def test_a_folder_given_as_a_file_says_so(tmp_path, capsys):
    folder = tmp_path / "sdir.yaml"
    folder.mkdir()
    assert main(["predict", str(folder), "--out", str(tmp_path / "o")]) == 2
    assert f"scenario file {folder} is a folder; expected a file" in capsys.readouterr().err
