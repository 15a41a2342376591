"""`run` when its local stack breaks or it is told to stop: whose fault, partial result, no
leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaling_lab.result import load_result

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

SCENARIO = """name: long-enough
system: staging
traffic:
  start_rate: 30
  stages: [{duration: 40s, target: 30}]
mix: {post_events: 1}
thresholds:
  post_events: ["p(95)<2000", "rate<0.01"]
"""


def _descendants(pid: int) -> dict[int, bytes]:
    """pid -> command line of every process below ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
    found: dict[int, bytes] = {}
    frontier = [pid]
    while frontier:
        p = frontier.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                try:
                    found[child] = Path(f"/proc/{child}/cmdline").read_bytes()
                except OSError:
                    continue
                frontier.append(child)
    return found


def _start_run(tmp_path: Path) -> subprocess.Popen[str]:
    require_stack()
    scenario = tmp_path / "long-enough.yaml"
    scenario.write_text(SCENARIO)
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}  # temp folders land here
    argv = [sys.executable, "-m", "scaling_lab.cli.main", "run", str(scenario), "--no-live"]
    argv += [
        "--out",
        str(tmp_path / "runs"),
        "--system",
        str(ROOT / "scenarios/systems/staging.yaml"),
    ]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )


def require_stack() -> None:
    import shutil

    if shutil.which("node") is None:
        pytest.skip("the embedded backend needs Node.js (see .ci/setup.sh)")


def _wait_for_k6(proc: subprocess.Popen[str], timeout_s: float = 90) -> dict[int, bytes]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        kids = _descendants(proc.pid)
        if any(b"k6" in cmd.split(b"\0")[0] for cmd in kids.values()):
            time.sleep(4)  # some load first
            return _descendants(proc.pid)
        assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
        time.sleep(0.2)
    raise AssertionError("k6 never started")


@pytest.mark.parametrize("victim", [b"emulator.app.serve", b"dynalite"])
def test_a_stack_process_dying_mid_run_is_exit_3_naming_it(tmp_path, victim):
    """Not 'thresholds failed' (99) from a dead API's timeouts, nor 'the load generator could
    not keep up' for a dead DynamoDB: the environment broke, and k6 stops at once."""
    proc = _start_run(tmp_path)
    try:
        kids = _wait_for_k6(proc)
        pid = next(p for p, cmd in kids.items() if victim in cmd)
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        assert proc.wait(120) == 3
        assert time.monotonic() - killed_at < 40  # stopped early, not after the scenario's 40 s
        stderr = proc.stderr.read()  # type: ignore[union-attr]
        assert "exited during the run" in stderr and "Traceback" not in stderr, stderr
        (result,) = (tmp_path / "runs").glob("*.json")
        res = load_result(result)
        assert res.provenance.partial
        notes = " ".join(res.provenance.notes)
        assert "PROBLEM: local stack process" in notes and "could not keep up" not in notes
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigterm_stops_a_run_like_ctrl_c(tmp_path):
    proc = _start_run(tmp_path)
    try:
        _wait_for_k6(proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(90) == 130
        stderr = proc.stderr.read()  # type: ignore[union-attr]
        assert "partial result written" in stderr and "Traceback" not in stderr, stderr
        (result,) = (tmp_path / "runs").glob("*.json")
        assert load_result(result).provenance.partial
        assert list((tmp_path / "tmp").iterdir()) == []  # no stack folder left behind
        check = subprocess.run(
            [sys.executable, "-m", "scaling_lab.cli.main", "check", str(result)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 99 and "the run completed" in check.stdout, check.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
