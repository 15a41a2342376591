"""`chaos run --target local`: k6 on the local stack, the method through the governor, stop
conditions judged while the load goes, rollbacks, the audit, the journal (loopback, ~10 s of
load at 40 req/s each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.errors import ExitCode
from scaling_lab.result import load_result

CHAOS = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def _run(name: str, out: Path) -> tuple[int, dict, Path]:
    exp = str(CHAOS / f"{name}.yaml")
    code = main(
        ["chaos", "run", exp, "--target", "local", "--scale", "1", "--out", str(out), "--no-live"]
    )
    (folder,) = out.glob(f"chaos-{name}-*")
    journal = json.loads((folder / "journal.json").read_text())
    return code, journal, folder


def test_the_hypothesis_holds_on_the_local_stack(tmp_path):
    code, journal, folder = _run("local-holds", tmp_path)
    assert code == ExitCode.OK, journal["status"]
    assert journal["status"] == "completed" and journal["deviated"] is False
    assert journal["scaling_lab"]["target"] == "local"
    assert journal["scaling_lab"]["aborted"] is False
    # judged per phase, on the observed series
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    (during,) = journal["steady_states"]["during"]
    assert during["phase"] == "during:slow" and during["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    # the governor applied the fault and it ended on its own, 3 s after it began
    (action,) = journal["run"]
    assert action["status"] == "succeeded" and action["output"]["injected"] == "governor"
    assert action["output"]["affected_calls"] > 0 and action["output"]["rolled_back"] is True
    assert action["duration"] == pytest.approx(3.0, abs=1.1)
    (rollback,) = journal["rollbacks"]
    assert rollback["status"] == "succeeded" and rollback["output"]["active_after"] == []
    (audit,) = journal["scaling_lab"]["audit"]
    assert audit.startswith("audit ok") and "missing 0" in audit
    result = load_result(Path(journal["scaling_lab"]["result"]))
    assert result.provenance.target == "local" and not result.provenance.partial
    assert result.summary.requests >= 300  # 40 req/s for 10 s, all of it
    # the run folder is named after the load's run id, as the model target's
    assert folder.name == f"chaos-local-holds-{result.run_id}"
    assert Path(journal["scaling_lab"]["result"]) == folder / f"{result.run_id}.json"


def test_a_stop_condition_stops_the_load_early_and_rolls_back(tmp_path):
    code, journal, _ = _run("local-abort", tmp_path)
    assert code == ExitCode.HYPOTHESIS_DEVIATED
    assert journal["status"] == "aborted" and journal["deviated"] is True
    sl = journal["scaling_lab"]
    assert sl["aborted"] is True and sl["stopped_by"] == "error rate: rate<0.5 for 2s"
    # every call fails from 2 s: seconds 2 and 3 break the bound, the stop fires at 4 s
    assert sl["abort_s"] == 4.0
    assert sl["ended_s"] < 8.0 < sl["planned_duration_s"]
    result = load_result(Path(sl["result"]))
    assert result.provenance.partial
    assert sum(s.completed or 0 for s in result.series[8:]) == 0  # nothing sent after the stop
    assert result.summary.requests < 40 * 8
    # the rollback ran through the governor and left no fault active
    (rollback,) = journal["rollbacks"]
    assert rollback["activity"]["name"] == "clear faults"
    assert rollback["status"] == "succeeded"
    assert rollback["output"]["cleared"] == [0] and rollback["output"]["active_after"] == []
    # the fault was ended by the rollback, not at its planned end (2 s + 8 s)
    (action,) = journal["run"]
    assert action["output"]["rolled_back"] is True and action["duration"] < 6.0
    assert journal["steady_states"]["after"] is None  # not reached
    assert journal["scaling_lab"]["audit"][0].startswith("audit ok")
