"""``--set path=value``: a what-if on the system without editing its file, validated like it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.errors import InputError, ValidationFailed
from scaling_lab.system import load_system
from scaling_lab.system.overrides import apply_overrides, parse_override


def test_an_override_sets_the_field_and_keeps_the_rest() -> None:
    base = load_system("staging")
    changed = apply_overrides(
        base, ["lambda.reserved_concurrency=900", "dynamodb.write.provisioned=7000"]
    )
    assert changed.lambda_.reserved_concurrency == 900
    assert changed.dynamodb.write is not None and changed.dynamodb.write.provisioned == 7000
    assert changed.dynamodb.read == base.dynamodb.read
    assert changed.lambda_.service_time_ms == base.lambda_.service_time_ms


def test_a_file_setting_one_endpoints_service_time_takes_an_override(tmp_path: Path) -> None:
    """The endpoints a file leaves out get their default service times; written back in the
    file's form (what --set edits, and recommended.yaml), each keeps its ``dist`` tag."""
    f = tmp_path / "one-endpoint.yaml"
    f.write_text(
        "name: one-endpoint\n"
        "lambda:\n"
        "  service_time_ms:\n"
        "    post_events: {dist: constant, value_ms: 20}\n"
    )
    base = load_system(str(f))
    changed = apply_overrides(base, ["lambda.memory_mb=1024"])
    assert changed.lambda_.memory_mb == 1024
    assert changed.lambda_.service_time_ms == base.lambda_.service_time_ms
    doc = base.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert doc["lambda"]["service_time_ms"]["get_inbox"]["dist"] == "lognormal"


def test_values_are_yaml() -> None:
    assert parse_override("dynamodb.mode=on_demand") == (["dynamodb", "mode"], "on_demand")
    assert parse_override("a.b=0.5") == (["a", "b"], 0.5)
    assert parse_override("a={x: 1}") == (["a"], {"x": 1})


def test_no_override_is_the_same_object_and_a_no_op_override_is_equal() -> None:
    base = load_system("staging")
    assert apply_overrides(base, []) is base
    same = apply_overrides(base, [f"lambda.timeout_s={base.lambda_.timeout_s}"])
    assert same == base
    assert same.dynamodb.model_fields_set == base.dynamodb.model_fields_set


@pytest.mark.parametrize(
    ("override", "error", "text"),
    [
        (
            "lambda.reservd_concurrency=3",
            ValidationFailed,
            "lambda.reservd_concurrency: unknown key",
        ),
        ("lambda.reserved_concurrency=-1", ValidationFailed, "lambda.reserved_concurrency"),
        ("dynamodb.mode=weird", ValidationFailed, "dynamodb.mode"),
        ("no-equals-sign", InputError, "expected dotted.path=value"),
        ("lambda.timeout_s.x=1", InputError, "lambda.timeout_s is a value, not a section"),
        ("lambda.timeout_s=[1", InputError, "--set lambda.timeout_s: invalid YAML at line 1"),
    ],
)
def test_a_bad_override_names_set_and_the_field(override: str, error: type, text: str) -> None:
    with pytest.raises(error) as exc:
        apply_overrides(load_system("staging"), [override])
    assert "--set" in str(exc.value) and text in str(exc.value)


def test_predict_takes_set_and_the_result_records_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(
        ["predict", "smoke", "--set", "lambda.timeout_s=12", "--out", str(tmp_path), "--json"]
    )
    assert code == 0
    (path,) = tmp_path.glob("*.json")
    assert json.loads(path.read_text())["system"]["lambda"]["timeout_s"] == 12


def test_a_bad_set_is_exit_2_with_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["predict", "smoke", "--set", "lambda.nope=1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "--set: lambda.nope: unknown key" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())
