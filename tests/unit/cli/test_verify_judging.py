"""How ``verify`` reaches its verdict, with the k6 run replaced by a model draw (the run itself
is covered end to end in tests/integration/verify): replications by default, k6's arrival
spacing, both verdicts on the terminal, calibration never judged on what it was fitted on."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from scaling_lab.cli.main import main
from scaling_lab.model import predict
from scaling_lab.result import ResultKind, save_result


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """``run_load`` returns a model draw (seed 999) labelled as an observed local run."""
    calls: list[Any] = []

    def run_load(scenario: Any, system: Any, *, out_dir: Path, **_: Any) -> SimpleNamespace:
        calls.append(scenario)
        r = predict(scenario, system, seed=999, arrivals="even")
        prov = r.provenance.model_copy(update={"target": "local", "arrivals": None})
        r = r.model_copy(update={"kind": ResultKind.OBSERVED, "provenance": prov})
        path = save_result(r, out_dir / "observed-run.json")
        return SimpleNamespace(result=r, path=path)

    monkeypatch.setattr("scaling_lab.load.run_load", run_load)
    return calls


def verdict_of(tmp_path: Path) -> dict[str, Any]:
    (run_dir,) = list(tmp_path.glob("*-verify-*"))
    data: dict[str, Any] = json.loads((run_dir / "verdict.json").read_text())
    return data


def test_a_scenario_without_a_phase_before_its_spike_is_judged_uncalibrated(
    tmp_path: Path, fake_run: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # smoke has no spike: calibrating on it would judge the model on the data it was fitted on
    code = main(["verify", "smoke", "--scale", "0.2", "--out", str(tmp_path), "--runs", "3"])
    out = capsys.readouterr()
    assert code in (0, 99), out.err[-1500:]
    v = verdict_of(tmp_path)
    assert v["calibrated"] is False
    assert v["model_agrees"] == v["model_agrees_before_calibration"]
    assert "not calibrated: the scenario has no phase before its spike" in out.err
    assert "model vs observation (uncalibrated)" in out.out
    assert not list(tmp_path.glob("*/predicted-calibrated.json"))


def test_spike_is_judged_on_replications_with_k6_spacing_and_shows_both_verdicts(
    tmp_path: Path, fake_run: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["verify", "spike", "--scale", "0.01", "--out", str(tmp_path)])
    out = capsys.readouterr()
    assert code in (0, 99), out.err[-1500:]
    v = verdict_of(tmp_path)
    assert v["replications"] == 10 and v["arrivals"] == "even"
    assert v["calibrated"] is True
    assert "model vs observation, as given" in out.out
    assert "model vs observation, calibrated on the before phase" in out.out
    assert "not gated: the before phase" in v["judged"]
    assert "10 replications' prediction intervals" in v["judged"]
    # the observation is a draw of the model itself: the uncalibrated verdict must pass
    assert v["model_agrees_before_calibration"] is True, v["out_of_tolerance_before_calibration"]
    assert code == (0 if v["model_agrees"] else 99)


def test_an_unwritable_history_is_a_note_and_the_verdict_is_still_written(
    tmp_path: Path,
    fake_run: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the whole run is done when the history is written: failing to record it must not throw
    # the verdict away (it used to exit 3 before verdict.json)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the history's folder would be\n")
    monkeypatch.delenv("SCALING_LAB_NO_HISTORY", raising=False)
    monkeypatch.setenv("SCALING_LAB_STORE", str(blocker / "history.sqlite"))
    runs_dir = tmp_path / "runs"
    code = main(["verify", "smoke", "--scale", "0.2", "--out", str(runs_dir), "--runs", "2"])
    out = capsys.readouterr()
    assert code in (0, 99), out.err[-1500:]
    (run_dir,) = list(runs_dir.glob("*-verify-*"))
    doc = json.loads((run_dir / "verdict.json").read_text())
    assert any("not recorded in the run history" in n for n in doc["notes"])
    assert "not recorded in the run history" in out.err
