"""The history, history-add, baseline and regress commands end to end (in process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.result import save_result
from tests.unit.store.synth_runs import synth_run


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


def test_regress_pools_reruns_on_each_side(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reruns = [synth_run(500 + i, run_id=f"rerun-{i}") for i in range(4)]
    slow = [synth_run(510 + i, slowdown=1.10, run_id=f"slow-{i}") for i in range(2)]
    files = [save_result(r, tmp_path / f"{r.run_id}.json") for r in (*reruns, *slow)]
    assert main(["history-add", *map(str, files)]) == 0
    capsys.readouterr()
    args = ["regress", "slow-0", "slow-1", "--baseline", "rerun-0", "--baseline", "rerun-1"]
    assert main([*args, "--json"]) == 99
    doc = json.loads(capsys.readouterr().out)
    assert (doc["baseline_runs"], doc["candidate_runs"]) == (2, 2)
    assert doc["baseline"] == "rerun-0, rerun-1" and doc["candidate"] == "slow-0, slow-1"
    # the candidates are not part of the noise estimate: the four reruns are
    assert doc["run_noise"] == "history: 4 comparable runs"
    assert doc["rule"].startswith("interval above no change")
    assert main(args) == 99
    text = capsys.readouterr().out
    assert "(2 runs pooled)" in text
    assert main(["regress", "rerun-2", "rerun-3", "--baseline", "rerun-0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["regressed"] is False
    assert main(["regress", "rerun-0", "rerun-1", "--baseline", "rerun-1"]) == 2
    assert "its own baseline" in capsys.readouterr().err


def test_regress_refuses_unlike_runs_and_history_shows_what_makes_them_unlike(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a staging run at x0.2 against a local baseline at x1: a set-up difference, not a
    # regression
    local = synth_run(300, run_id="local-x1")
    remote = synth_run(301, run_id="url-x02")
    remote = remote.model_copy(
        update={
            "provenance": remote.provenance.model_copy(
                update={"target": "https://staging.example/v1", "backend": "aws", "scale": 0.2}
            ),
            "scenario": remote.scenario.scaled(0.2),
        }
    )
    files = [save_result(r, tmp_path / f"{r.run_id}.json") for r in (local, remote)]
    assert main(["history-add", *map(str, files)]) == 0
    assert main(["baseline", "set", "local-x1"]) == 0
    capsys.readouterr()
    assert main(["regress", "url-x02"]) == 2
    msg = capsys.readouterr().err
    assert "not comparable" in msg and "--allow-unlike" in msg
    assert "target local vs https://staging.example/v1" in msg and "scale x1 vs x0.2" in msg
    assert main(["regress", "url-x02", "--allow-unlike"]) in (0, 99)
    assert "comparing unlike runs" in capsys.readouterr().err
    assert main(["history"]) == 0
    table = capsys.readouterr().out
    for col in ("target", "backend", "system", "scale"):
        assert col in table
    assert "staging.example" in table and "x0.2" in table and "embedded" in table


def test_latest_means_observed_and_show_takes_run_references(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scaling_lab.result import ResultKind

    obs = synth_run(400, run_id="obs-run")
    pred = synth_run(401, kind=ResultKind.PREDICTED, run_id="pred-run")  # recorded later
    files = [save_result(r, tmp_path / f"{r.run_id}.json") for r in (obs, pred)]
    assert main(["history-add", *map(str, files)]) == 0
    capsys.readouterr()
    scenario = obs.scenario.name
    assert main(["show", f"latest:{scenario}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == obs.summary.requests
    assert main(["baseline", "set", f"latest:{scenario}"]) == 0
    assert "obs-run" in capsys.readouterr().out  # not the newer prediction
    assert main(["baseline", "set", f"latest:{scenario}:predicted"]) == 0
    assert "pred-run" in capsys.readouterr().out
    assert main(["check", "obs-run"]) in (0, 99)
    assert main(["compare", f"latest:{scenario}:predicted", "obs-run"]) in (0, 99)
    # a run folder (verify's) means its observed result
    folder = tmp_path / "verify-folder"
    folder.mkdir()
    save_result(obs, folder / "observed.json")
    save_result(pred, folder / "predicted.json")
    capsys.readouterr()
    assert main(["show", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == obs.summary.requests


def test_a_store_that_is_not_sqlite_is_exit_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile.txt"
    afile.write_text("my notes\n" * 200, encoding="utf-8")
    assert main(["history", "--store", str(afile)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: history store {afile}: not a SQLite history"), err
    assert "--store" in err and len(err.splitlines()) == 1
    assert afile.read_text(encoding="utf-8") == "my notes\n" * 200


@pytest.mark.parametrize("value", ["2", "0.4", "1", "nan"])
def test_regress_names_a_bad_confidence(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    base = save_result(synth_run(100, run_id="base-run"), tmp_path / "base.json")
    rerun = save_result(synth_run(101, run_id="rerun-run"), tmp_path / "rerun.json")
    assert main(["regress", str(rerun), "--baseline", str(base), "--confidence", value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --confidence: expected a number >= 0.5 and < 1, got "), err


def test_regress_refuses_a_run_given_twice(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two copies of one run were pooled as two reruns."""
    base = save_result(synth_run(100, run_id="base-run"), tmp_path / "base.json")
    rerun = save_result(synth_run(101, run_id="rerun-run"), tmp_path / "rerun.json")
    assert main(["regress", str(rerun), str(rerun), "--baseline", str(base)]) == 2
    assert "candidate run rerun-run given twice" in capsys.readouterr().err
    assert main(["regress", str(rerun), "--baseline", str(base), "--baseline", str(base)]) == 2
    assert "--baseline run base-run given twice" in capsys.readouterr().err
