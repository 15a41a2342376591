"""JSON files the CLI reads (results, plans, chaos journals, up's state file) that Python's
parser cannot take, nested past the recursion limit or holding an integer of more than 4,300
digits, are exit 2 and one line naming the file, like any other malformed JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.jsontypes import parse_json

DEEP = "[" * 100_000 + "]" * 100_000
BIG = '{"schema_version": ' + "1" * 5000 + "}"


def test_parse_json_turns_what_python_cannot_read_into_a_one_line_value_error() -> None:
    with pytest.raises(ValueError, match=r"^nested too deeply to read$"):
        parse_json(DEEP)
    with pytest.raises(ValueError, match=r"^an integer of more than 4,300 digits$"):
        parse_json(BIG)
    with pytest.raises(ValueError, match="Expecting value"):
        parse_json("[")
    assert parse_json('{"a": [1, 2.5]}') == {"a": [1, 2.5]}


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {"deep": tmp_path / "deep.json", "big": tmp_path / "big.json"}
    files["deep"].write_text(DEEP, encoding="utf-8")
    files["big"].write_text(BIG, encoding="utf-8")
    return files


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "{f}"],
        ["check", "{f}"],
        ["compare", "{f}", "{f}"],
        ["calibrate", "{f}", "-o", "{tmp}/c.yaml"],
        ["baseline", "set", "{f}"],
        ["report", "{f}", "--out", "{tmp}/report"],
        ["chaos", "compare", "{f}", "{f}"],
        ["audit", "--state-file", "{f}"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
@pytest.mark.parametrize("kind", ["deep", "big"])
def test_unreadable_json_is_exit_2_naming_the_file(
    argv: list[str],
    kind: str,
    bad_files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = bad_files[kind]
    args = [a.format(f=path, tmp=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {path}: "), err
    assert ("nested too deeply" if kind == "deep" else "digits") in err, err
    assert "internal error" not in err and "set_int_max_str_digits" not in err
