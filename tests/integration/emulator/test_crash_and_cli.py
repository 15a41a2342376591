"""Crash safety of the API process, `scaling-lab up` lifecycle, and the LocalStack backend."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from crash_load import crash_drill
from stack_helpers import EVENT, require_node

from emulator.stack import start_local_stack
from emulator.stack.embedded import start_embedded
from emulator.stack.localstack import docker_reachable

pytestmark = pytest.mark.integration


def test_killing_the_api_mid_load_loses_no_accepted_event():
    require_node()
    with start_local_stack(backend="embedded", tenants=1) as stack:
        accepted: list[str] = []
        failures = 0
        stop = threading.Event()
        lock = threading.Lock()

        def poster() -> None:
            nonlocal failures
            with httpx.Client(
                base_url=stack.url, timeout=5, headers={"X-API-Key": stack.api_keys[0]}
            ) as c:
                while not stop.is_set():
                    try:
                        resp = c.post("/v1/events", json=EVENT)
                    except httpx.HTTPError:
                        with lock:
                            failures += 1
                        time.sleep(0.01)
                        continue
                    if resp.status_code == 202:
                        with lock:
                            accepted.append(resp.json()["event_id"])

        threads = [threading.Thread(target=poster) for _ in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(accepted) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        stack.kill_api()  # SIGKILL with requests in flight
        time.sleep(0.5)
        stack.start_api()
        before = len(accepted)
        while len(accepted) < before + 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(10)
        assert failures > 0, "the kill did not interrupt the load"
        report = stack.audit(accepted=accepted, wait_drain_s=60)
        assert report.accepted == len(accepted) >= 400
        assert report.missing == 0, report.missing_ids


def test_killing_the_api_with_idempotent_retries_loses_and_strands_nothing():
    """Every request retried with its Idempotency-Key until answered: each 202 is stored once
    and enqueued, including those whose first attempt died between the write and the enqueue
    (`benchmarks/crash_retries.py` repeats this drill and prints its numbers)."""
    require_node()
    with start_local_stack(backend="embedded", tenants=1) as stack:
        outcome = crash_drill(stack)
    assert outcome.retried > 0, "the kill did not interrupt the load"
    assert outcome.accepted >= 400
    assert (outcome.missing, outcome.not_enqueued, outcome.duplicate_stored) == (0, 0, 0), outcome


def test_embedded_dynamodb_survives_a_client_dying_mid_request(tmp_path):
    """A caller that disconnects before its request body is complete (what SIGKILL of the API
    does to its in-flight DynamoDB calls) must not take DynamoDB down with it."""
    require_node()
    backend = start_embedded(tmp_path)
    try:
        host, port = backend.endpoints.dynamodb.removeprefix("http://").split(":")
        for _ in range(3):
            sock = socket.create_connection((host, int(port)), timeout=5)
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                b'X-Amz-Target: DynamoDB_20120810.ListTables\r\n\r\n{"Limit":'
            )
            time.sleep(0.2)
            # Abortive close (RST), as the kernel does for a killed process's sockets.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        time.sleep(0.5)
        resp = httpx.post(
            backend.endpoints.dynamodb,
            content=b"{}",
            headers={
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
                "Content-Type": "application/x-amz-json-1.0",
            },
            timeout=5,
        )
        assert resp.status_code in (200, 400)  # answered (unsigned: 400 is fine), not refused
        assert "still serving" in (tmp_path / "dynalite.log").read_text()
    finally:
        backend.stop()


def test_a_backend_process_dying_is_reported_and_its_log_kept():
    """A run on a stack whose DynamoDB died must say so instead of auditing a dead backend."""
    require_node()
    from scaling_lab.load.target import _audit_notes

    with start_local_stack(backend="embedded", tenants=1) as stack:
        assert stack.exited() == []
        backend = stack._backend
        dynalite = next(c for c in backend.children if c.name == "dynalite")  # type: ignore[union-attr]
        dynalite.kill()
        lines = stack.exited()
        assert len(lines) == 1 and lines[0].startswith("dynalite exited with code -9")
        notes = _audit_notes(stack)(10)
        assert notes[0].startswith("PROBLEM: local stack process dynalite exited")
        assert notes[-1] == "audit skipped: the local stack did not survive the run"
        run_dir = stack.run_dir
    try:
        assert (run_dir / "dynalite.log").exists()  # kept: it says why
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _children(pid: int) -> set[int]:
    kids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(entry.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_up(tmp_path: Path, tenants: int) -> subprocess.Popen[str]:
    """`scaling-lab up --json` in ``tmp_path`` (state file there too)."""
    argv = [sys.executable, "-m", "scaling_lab.cli.main", "up", "--backend", "embedded"]
    argv += ["--tenants", str(tenants), "--json", "--state-file", str(tmp_path / "stack.json")]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_up_prints_json_then_stops_every_process_on_signal(tmp_path, sig):
    require_node()
    proc = _start_up(tmp_path, tenants=2)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        ready = json.loads(line)
        assert set(ready) == {"url", "api_keys"} and len(ready["api_keys"]) == 2
        resp = httpx.post(
            ready["url"] + "/v1/events", json=EVENT, headers={"X-API-Key": ready["api_keys"][1]}
        )
        assert resp.status_code == 202
        state = json.loads((tmp_path / "stack.json").read_text())
        assert ready["api_keys"][0] not in json.dumps(state)  # no secrets on disk
        kids = _children(proc.pid)
        assert len(kids) >= 4  # dynalite, sqs, moto, worker, api
        proc.send_signal(sig)
        assert proc.wait(30) == 0
        time.sleep(0.3)
        assert not [k for k in kids if _alive(k)]
        assert not (tmp_path / "stack.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_up_stops_and_says_why_when_a_backend_process_dies(tmp_path):
    require_node()
    proc = _start_up(tmp_path, tenants=1)
    try:
        json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        dynalite = [
            k for k in _children(proc.pid) if b"dynalite" in Path(f"/proc/{k}/cmdline").read_bytes()
        ]
        assert len(dynalite) == 1
        os.kill(dynalite[0], signal.SIGKILL)
        assert proc.wait(30) == 3
        stderr = proc.stderr.read()  # type: ignore[union-attr]
        assert "dynalite exited with code -9" in stderr and "logs kept in" in stderr
        assert "Traceback" not in stderr
        assert not (tmp_path / "stack.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def _pid_of(parent: int, name: str) -> int:
    pids = [
        k for k in _children(parent) if name.encode() in Path(f"/proc/{k}/cmdline").read_bytes()
    ]
    assert len(pids) == 1, pids
    return pids[0]


def _audit_cli(tmp_path: Path, ids: list[str]) -> dict:
    accepted = tmp_path / "accepted.txt"
    accepted.write_text("\n".join(ids) + "\n")
    argv = [sys.executable, "-m", "scaling_lab.cli.main", "audit", "--json", "--wait", "30"]
    argv += ["--state-file", str(tmp_path / "stack.json"), "--accepted", str(accepted)]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 99), proc.stderr
    return json.loads(proc.stdout)


def test_up_restarts_a_killed_api_and_loses_nothing(tmp_path):
    """SIGKILL of the API under `up`: the backend keeps its data, `up` restarts the API on the
    same URL, says so, and every event answered 202 before and after is stored and enqueued."""
    require_node()
    proc = _start_up(tmp_path, tenants=1)
    try:
        ready = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        headers = {"X-API-Key": ready["api_keys"][0]}
        with httpx.Client(base_url=ready["url"], headers=headers, timeout=5) as c:
            ids = [c.post("/v1/events", json=EVENT).json()["event_id"] for _ in range(50)]
            os.kill(_pid_of(proc.pid, "emulator.app.serve"), signal.SIGKILL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    resp = c.post("/v1/events", json=EVENT)
                except httpx.HTTPError:
                    time.sleep(0.2)
                    continue
                if resp.status_code == 202:
                    ids.append(resp.json()["event_id"])
                    break
            ids += [c.post("/v1/events", json=EVENT).json()["event_id"] for _ in range(20)]
        assert len(ids) == 71 and proc.poll() is None  # still serving
        report = _audit_cli(tmp_path, ids)
        assert (report["missing"], report["not_enqueued"], report["stored"]) == (0, 0, 71)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        stderr = proc.stderr.read()  # type: ignore[union-attr]
        assert "api exited with code -9" in stderr and "restarted" in stderr, stderr
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_second_up_on_the_same_state_file_is_refused(tmp_path):
    require_node()
    first = _start_up(tmp_path, tenants=1)
    try:
        json.loads(first.stdout.readline())  # type: ignore[union-attr]
        second = _start_up(tmp_path, tenants=1)
        assert second.wait(60) == 2
        stderr = second.stderr.read()  # type: ignore[union-attr]
        assert "belongs to another running `scaling-lab up`" in stderr, stderr
        assert f"pid {first.pid}" in stderr
        assert json.loads((tmp_path / "stack.json").read_text())["pid"] == first.pid
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(30)


def test_up_persist_keeps_dynamodb_data_on_disk(tmp_path):
    require_node()
    argv = [sys.executable, "-m", "scaling_lab.cli.main", "up", "--backend", "embedded"]
    argv += ["--json", "--persist", "--data-dir", str(tmp_path / "data")]
    argv += ["--state-file", str(tmp_path / "stack.json")]
    for round_ in range(2):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            with httpx.Client(
                base_url=ready["url"], headers={"X-API-Key": ready["api_keys"][0]}
            ) as c:
                if round_ == 0:
                    event_id = c.post("/v1/events", json=EVENT).json()["event_id"]
                else:  # a new `up` on the same data: the event is still there
                    events = c.get("/v1/inbox").json()["events"]
                    assert event_id in [e["event_id"] for e in events]
            proc.send_signal(signal.SIGINT)
            assert proc.wait(30) == 0
            assert "DynamoDB data kept in" in proc.stderr.read()  # type: ignore[union-attr]
        finally:
            if proc.poll() is None:
                proc.kill()
    assert (tmp_path / "data" / "dynamodb").is_dir()


def test_audit_without_a_running_stack_is_bad_input(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scaling_lab.cli.main",
            "audit",
            "--state-file",
            str(tmp_path / "none.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "scaling-lab up" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.docker
@pytest.mark.skipif(
    not docker_reachable(), reason="LocalStack backend needs a reachable Docker engine"
)
def test_localstack_backend_serves_the_same_api():
    with start_local_stack(backend="localstack", tenants=1) as stack:
        assert stack.endpoints.dynamodb.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=stack.url, headers={"X-API-Key": stack.api_keys[0]}) as c:
            event_id = c.post("/v1/events", json=EVENT).json()["event_id"]
            assert event_id in [e["event_id"] for e in c.get("/v1/inbox").json()["events"]]
        assert stack.audit(accepted=[event_id]).ok


def test_scaling_lab_env_is_respected_for_backend(tmp_path):
    env = {**os.environ, "SCALING_LAB_BACKEND": "nonsense"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scaling_lab.cli.main",
            "up",
            "--json",
            "--state-file",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 2 and "nonsense" in proc.stderr


def test_children_die_when_the_parent_is_killed_with_sigkill(tmp_path):
    require_node()
    code = (
        "import sys, time\n"
        "from emulator.stack import Stack\n"
        "s = Stack(backend='embedded', tenants=1).start()\n"
        "print(s.url, flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("http://127.0.0.1:")  # type: ignore[union-attr]
        kids = _children(proc.pid)
        assert len(kids) >= 4
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 15
        while [k for k in kids if _alive(k)] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [k for k in kids if _alive(k)]
    finally:
        if proc.poll() is None:
            proc.kill()
