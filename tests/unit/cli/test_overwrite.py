"""Nothing lost: an output file never replaces a file scaling-lab did not write, nor one the
command reads, without --force (exit 2, one line naming the option); a file it wrote before is
replaced (reruns, CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
STAGING = ROOT / "scenarios" / "systems" / "staging.yaml"
TF = ROOT / "tests" / "fixtures" / "terraform" / "staging"
MINE = "# my notes, not scaling-lab's\nkeep: me\n"


def _refused(capsys: pytest.CaptureFixture[str], option: str, why: str) -> None:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {option}: ") and why in err and "--force" in err, err


def _mine(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text(MINE, encoding="utf-8")
    return path


def test_calibrate_never_writes_over_its_input_system_file_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], results: tuple[Path, Path, Path]
) -> None:
    observed, _, _ = results
    system = tmp_path / "mysys.yaml"
    original = "# the team's comments\n" + STAGING.read_text(encoding="utf-8")
    system.write_text(original, encoding="utf-8")
    argv = ["calibrate", str(observed), "--system", str(system), "-o", str(system)]
    assert main(argv) == 2
    _refused(capsys, "--output", "is the --system file this reads")
    assert system.read_text(encoding="utf-8") == original
    assert main([*argv, "--force"]) == 0
    assert system.read_text(encoding="utf-8").startswith("# Calibrated by scaling-lab")
    capsys.readouterr()
    # now a file calibrate wrote, but still its input: refused again
    assert main(argv) == 2
    _refused(capsys, "--output", "is the --system file this reads")


def test_calibrate_refuses_a_user_file_and_replaces_its_own(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    results: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    observed, _, _ = results
    afile = _mine(tmp_path, "afile.txt")
    assert main(["calibrate", str(observed), "-o", str(afile)]) == 2
    _refused(capsys, "--output", "exists and was not written by scaling-lab")
    assert afile.read_text(encoding="utf-8") == MINE
    monkeypatch.chdir(tmp_path)  # the default calibrated.yaml, written twice
    assert main(["calibrate", str(observed)]) == 0
    assert main(["calibrate", str(observed)]) == 0
    assert main(["calibrate", str(observed), "-o", str(afile), "--force"]) == 0
    assert afile.read_text(encoding="utf-8") != MINE
    capsys.readouterr()
    # the observed result itself is an input
    assert main(["calibrate", str(observed), "-o", str(observed)]) == 2
    _refused(capsys, "--output", "is the observed result this reads")


def test_import_terraform_refuses_a_user_file_and_replaces_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    afile = _mine(tmp_path, "afile.txt")
    assert main(["import", "terraform", str(TF), "-o", str(afile)]) == 2
    _refused(capsys, "--output", "exists and was not written by scaling-lab")
    assert afile.read_text(encoding="utf-8") == MINE
    monkeypatch.chdir(tmp_path)
    _mine(tmp_path, "system.yaml")  # the default output, a user's file
    assert main(["import", "terraform", str(TF)]) == 2
    capsys.readouterr()
    assert main(["import", "terraform", str(TF), "--force"]) == 0
    assert main(["import", "terraform", str(TF)]) == 0  # its own file now


def test_junit_never_replaces_a_user_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], results: tuple[Path, Path, Path]
) -> None:
    _, predicted, other = results
    afile = _mine(tmp_path, "report.xml")
    for argv in (
        ["check", str(predicted), "--junit", str(afile)],
        ["regress", str(other), "--baseline", str(predicted), "--junit", str(afile)],
    ):
        assert main(argv) == 2, argv
        _refused(capsys, "--junit", "exists and was not written by scaling-lab")
        assert afile.read_text(encoding="utf-8") == MINE
    assert main(["check", str(predicted), "--junit", str(afile), "--force"]) in (0, 99)
    assert "<testsuite" in afile.read_text(encoding="utf-8")
    capsys.readouterr()
    for argv in (
        ["check", str(predicted), "--junit", str(afile)],
        ["regress", str(other), "--baseline", str(predicted), "--junit", str(afile)],
    ):
        assert main(argv) in (0, 99), capsys.readouterr().err  # its own file: replaced


def test_k6_operator_never_replaces_a_user_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = _mine(tmp_path, "testrun.yaml")
    argv = ["k6-operator", "smoke", "--target", "https://api.example.test", "-o", str(afile)]
    assert main(argv) == 2
    _refused(capsys, "--output", "exists and was not written by scaling-lab")
    assert afile.read_text(encoding="utf-8") == MINE
    assert main([*argv, "--force"]) == 0
    assert main(argv) == 0  # its own manifest now


def test_run_csv_never_replaces_a_user_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scaling_lab.load.runner

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(scaling_lab.load.runner, "run_load", refuse)
    monkeypatch.chdir(tmp_path)
    afile = _mine(tmp_path, "series.csv")
    assert main(["run", "smoke", "--no-live", "--csv", str(afile)]) == 2
    _refused(capsys, "--csv", "exists and was not written by scaling-lab")
    assert afile.read_text(encoding="utf-8") == MINE
