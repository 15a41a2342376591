"""Every place a command writes is checked before it does any work (cli/paths.py): a file where
a folder is expected, a folder where a file is, or a path through a file is exit 2 and one line
naming the option, with nothing printed or sent before it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import scaling_lab.load.runner
import scaling_lab.verify
from scaling_lab.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "tests" / "fixtures" / "terraform" / "staging"
URL = "https://api.example.test"

Argv = Callable[[tuple[Path, Path, Path], str], list[str]]

FOLDER_OPTIONS: list[tuple[str, Argv]] = [
    ("schema", lambda r, p: ["schema", "scenario", "--out", p]),
    ("compare", lambda r, p: ["compare", str(r[1]), str(r[0]), "--out", p]),
    ("alarms", lambda r, p: ["alarms", "smoke", "--out", p]),
    ("report", lambda r, p: ["report", str(r[1]), "--out", p]),
    ("verify", lambda r, p: ["verify", "smoke", "--out", p]),
]
FILE_OPTIONS: list[tuple[str, str, Argv]] = [
    ("check", "--junit", lambda r, p: ["check", str(r[1]), "--junit", p]),
    (
        "regress",
        "--junit",
        lambda r, p: ["regress", str(r[2]), "--baseline", str(r[1]), "--junit", p],
    ),
    ("calibrate", "--output", lambda r, p: ["calibrate", str(r[0]), "-o", p]),
    ("import", "--output", lambda r, p: ["import", "terraform", str(TF), "-o", p]),
    ("k6-operator", "--output", lambda r, p: ["k6-operator", "smoke", "--target", URL, "-o", p]),
    ("run", "--csv", lambda r, p: ["run", "smoke", "--no-live", "--csv", p]),
]


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a file and a folder in it; a verify or a k6 run would fail."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the output path was checked")

    monkeypatch.setattr(scaling_lab.verify, "verify", refuse)
    monkeypatch.setattr(scaling_lab.load.runner, "run_load", refuse)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile.txt").write_text("mine\n", encoding="utf-8")
    (tmp_path / "sdir").mkdir()
    return tmp_path


def _refused(capsys: pytest.CaptureFixture[str], option: str, why: str) -> None:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {option}: "), err
    assert why in err, err
    assert captured.out == "", captured.out  # nothing printed before the refusal


FOLDER_BAD = (("afile.txt", "is a file"), ("afile.txt/x", "cannot write in"))
FILE_BAD = (("sdir", "is a folder"), ("afile.txt/x.out", "is a file"))
CASES = [(name, "--out", argv, FOLDER_BAD) for name, argv in FOLDER_OPTIONS] + [
    (name, option, argv, FILE_BAD) for name, option, argv in FILE_OPTIONS
]


@pytest.mark.parametrize(("name", "option", "argv", "bad"), CASES, ids=[c[0] for c in CASES])
def test_an_output_option_naming_the_wrong_kind_of_place_is_exit_2_before_any_work(
    name: str,
    option: str,
    argv: Argv,
    bad: tuple[tuple[str, str], ...],
    place: Path,
    results: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A folder option given a file or a path through one; a file option given a folder."""
    for path, why in bad:
        assert main(argv(results, path)) == 2, path
        _refused(capsys, option, why)
    assert (place / "afile.txt").read_text(encoding="utf-8") == "mine\n"
    assert list((place / "sdir").iterdir()) == []
