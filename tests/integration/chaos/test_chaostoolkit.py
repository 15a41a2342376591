"""Chaos Toolkit's own ``chaos run`` (the chaostoolkit package's CLI, a subprocess) runs the
shipped example experiment with scaling-lab's extension against the local stack, scaled down
to the 10 s fixture scenario and short pauses (~20 s)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "scenarios" / "experiments" / "ctk" / "ddb-latency-local.json"
TINY = ROOT / "tests" / "fixtures" / "chaos" / "local-tiny.yaml"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def _chaos() -> str:
    found = shutil.which("chaos") or str(Path(sys.executable).with_name("chaos"))
    if not Path(found).exists():
        pytest.skip("Chaos Toolkit's CLI is not installed (pip install '.[chaos]', .ci/setup.sh)")
    return found


def _scaled_down(tmp_path: Path) -> Path:
    exp = json.loads(EXAMPLE.read_text())
    args = exp["controls"][0]["provider"]["arguments"]
    args.update(scenario=str(TINY), scale=1, out_dir=str(tmp_path / "runs"))
    inject = exp["method"][0]
    inject["provider"]["arguments"]["duration"] = "3s"
    inject["pauses"] = {"after": 2}
    exp["method"][3]["pauses"] = {"after": 2}
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(exp))
    return path


def _activities(journal: dict) -> dict[str, dict]:
    runs = [*journal["run"], *journal["rollbacks"]]
    return {r["activity"]["name"]: r for r in runs}


def test_chaos_toolkit_runs_the_example_on_the_local_stack(tmp_path):
    experiment = _scaled_down(tmp_path)
    journal_path = tmp_path / "journal.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    log = tmp_path / "chaos.log"
    proc = subprocess.run(
        [
            _chaos(),
            "--log-file",
            str(log),
            "run",
            "--journal-path",
            str(journal_path),
            str(experiment),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert journal_path.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    journal = json.loads(journal_path.read_text())
    assert journal["status"] == "completed", proc.stdout[-2000:]
    assert journal["deviated"] is False and proc.returncode == 0
    assert journal["chaoslib-version"]  # Chaos Toolkit wrote it, not scaling-lab
    for phase in ("before", "after"):
        state = journal["steady_states"][phase]
        assert state["steady_state_met"] is True
        outputs = {p["activity"]["name"]: p["output"] for p in state["probes"]}
        assert 0 < outputs["post p95 over the last 3 s"] < 100
        assert outputs["error rate over the last 3 s"] == 0
        assert outputs["no fault active"] == 0
    acts = _activities(journal)
    assert all(a["status"] == "succeeded" for a in acts.values()), acts
    assert acts["add 50 ms to DynamoDB for 8 s"]["output"]["active"] == [0]
    # 50 ms added to each DynamoDB call shows in the p95 while the fault is on
    before_p95 = journal["steady_states"]["before"]["probes"][0]["output"]
    assert acts["post p95 during the fault"]["output"] > before_p95 + 40
    assert acts["DynamoDB throttles during the fault"]["output"] == 0
    assert acts["end the fault"]["output"] == {"cleared": [0], "active_after": []}
    (result,) = (tmp_path / "runs").glob("*.json")  # the load's RunResult, written at its end
    assert json.loads(result.read_text())["kind"] == "observed"
