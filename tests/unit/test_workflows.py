"""The GitHub Actions workflows: GitHub's schema, the smoke commands CI runs, no host named."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaling_lab.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = ["performance-tests.yml", "nightly-load-test.yml"]


def check_jsonschema(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_both_workflows_pass_githubs_workflow_schema():
    done = check_jsonschema(*(WORKFLOWS / f for f in FILES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_fails_a_broken_workflow(tmp_path):
    broken = load("performance-tests.yml")
    broken["jobs"]["smoke"]["runs_on"] = broken["jobs"]["smoke"].pop("runs-on")
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    done = check_jsonschema(path)
    assert done.returncode == 1 and "runs_on" in done.stdout + done.stderr


def test_smoke_on_push_and_pull_request_runs_the_ci_smoke_script():
    wf = load("performance-tests.yml")
    triggers = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    runs = [s.get("run", "") for s in wf["jobs"]["smoke"]["steps"]]
    assert "bash .ci/smoke.sh" in runs
    assert "bash .ci/smoke.sh" in (ROOT / ".ci" / "run").read_text()  # CI runs the same file
    smoke = (ROOT / ".ci" / "smoke.sh").read_text()
    assert "run smoke --target local" in smoke and "check " in smoke and "--junit" in smoke
    uploads = [s for s in wf["jobs"]["smoke"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "runs/smoke/"


def test_nightly_baseline_and_dispatched_full_load():
    wf = load("nightly-load-test.yml")
    triggers = wf[True] if True in wf else wf["on"]
    assert (
        "schedule" in triggers
        and triggers["workflow_dispatch"]["inputs"]["scenario"]["default"] == "full-load"
    )
    text = (WORKFLOWS / "nightly-load-test.yml").read_text()
    assert "${{ secrets.STAGING_URL }}" in text and "${{ secrets.STAGING_API_KEY }}" in text
    assert "s3://${{ secrets.RESULTS_BUCKET }}" in text
    assert "regress" in text and "--threshold 5%" in text and "gh issue create" in text


@pytest.mark.parametrize("name", FILES)
def test_no_host_is_named(name):
    text = (WORKFLOWS / name).read_text()
    assert not re.search(r"https?://", text)
    assert not re.search(r"\b[a-z0-9-]+\.(?:com|net|org|io|aws)\b", text)


def scaling_lab_commands() -> list[list[str]]:
    """Every `scaling-lab ...` command line in the workflows' run steps (continuations joined)."""
    cmds = []
    for name in FILES:
        for job in load(name)["jobs"].values():
            for step in job["steps"]:
                script = step.get("run", "").replace("\\\n", " ")
                for line in script.splitlines():
                    line = line.split("||")[0].split("|")[0].strip()
                    if line.startswith("scaling-lab "):
                        cmds.append(shlex.split(line)[1:])
    return cmds


def test_every_option_the_workflows_use_exists(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # help text wide enough to show every option whole
    cmds = scaling_lab_commands()
    assert len(cmds) >= 6
    for cmd in cmds:
        options = [a.split("=")[0] for a in cmd if a.startswith("--")]
        capsys.readouterr()
        assert main([cmd[0], "--help"]) == 0
        helptext = capsys.readouterr().out
        for opt in options:
            assert opt in helptext, f"scaling-lab {cmd[0]}: no option {opt}"
