"""The history, history-add, baseline and regress commands end to end (in process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synth_runs import synth_run

from scaling_lab.cli.main import main
from scaling_lab.result import save_result


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "history.sqlite"
    monkeypatch.setenv("SCALING_LAB_STORE", str(path))
    return path


def test_history_baseline_regress(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = save_result(synth_run(100, run_id="base-run"), tmp_path / "base.json")
    rerun = save_result(synth_run(101, run_id="rerun-run"), tmp_path / "rerun.json")
    slow = save_result(synth_run(103, slowdown=1.10, run_id="slow-run"), tmp_path / "slow.json")
    assert main(["history"]) == 0
    assert main(["history-add", str(base), str(rerun)]) == 0
    assert main(["regress", "rerun-run"]) == 2  # no baseline yet
    assert "baseline set" in capsys.readouterr().err
    assert main(["baseline", "set", "base-run"]) == 0
    assert "base-run" in capsys.readouterr().out
    assert main(["baseline", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown[0]["run_id"] == "base-run" and shown[0]["run"]["requests"] > 0
    assert main(["regress", "rerun-run"]) == 0
    capsys.readouterr()
    junit = tmp_path / "junit.xml"
    # a file not yet in the history works too; exit 99 on regression
    assert main(["regress", str(slow), "--junit", str(junit), "--threshold", "5%"]) == 99
    assert "<failure" in junit.read_text()
    assert "regression" in capsys.readouterr().err
    assert main(["regress", str(slow), "--baseline", str(rerun), "--json"]) == 99
    doc = json.loads(capsys.readouterr().out)
    assert doc["regressed"] is True and doc["baseline"] == "rerun-run"
    assert main(["history", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in listed if r["baseline"]] == ["base-run"]
    assert main(["regress", "base-run", "--threshold", "lots"]) == 2
    assert main(["regress", "no-such-run"]) == 2


def test_regress_uses_run_to_run_noise_from_the_history(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        save_result(synth_run(200 + i, run_id=f"run-{i}"), tmp_path / f"{i}.json") for i in range(4)
    ]
    assert main(["history-add", *map(str, files)]) == 0
    assert main(["baseline", "set", "run-0"]) == 0
    capsys.readouterr()
    assert main(["regress", "run-3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["run_noise"] == "history: 3 comparable runs"
    assert main(["history"]) == 0
    text = capsys.readouterr().out
    assert "*run-0" in text and "run-3" in text  # not cut at 80 columns
