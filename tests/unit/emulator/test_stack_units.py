"""Backend selection, provisioning, LocalStack settings and child processes, without Docker."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.app.keys import hash_api_key
from emulator.app.settings import AppSettings
from emulator.stack import localstack
from emulator.stack.endpoints import Endpoints
from emulator.stack.errors import BackendUnavailable, StackInputError
from emulator.stack.procs import ChildProcess, free_port, wait_http
from emulator.stack.selection import Backend, select_backend
from emulator.stack.stack import Stack, _retries
from scaling_lab.errors import EnvironmentProblem, InputError

provision_mod = importlib.import_module("emulator.stack.provision")


def test_auto_picks_localstack_only_when_docker_answers():
    assert select_backend("auto", lambda: True) is Backend.LOCALSTACK
    assert select_backend("auto", lambda: False) is Backend.EMBEDDED


def test_embedded_never_asks_docker():
    def boom() -> bool:
        raise AssertionError("asked")

    assert select_backend("embedded", boom) is Backend.EMBEDDED


def test_localstack_without_docker_is_an_environment_problem():
    with pytest.raises(EnvironmentProblem, match="Docker is not reachable"):
        select_backend("localstack", lambda: False)


def test_unknown_backend_is_bad_input_naming_the_choices():
    with pytest.raises(InputError, match="embedded"):
        select_backend("dynamo", lambda: False)


@pytest.mark.parametrize("kwargs", [{"tenants": 0}, {"port": 70000}, {"worker_concurrency": -1}])
def test_stack_rejects_bad_options_before_starting_anything(kwargs):
    with pytest.raises(StackInputError):
        Stack(**kwargs)


def test_system_sdk_settings_reach_the_app_retry_config():
    from scaling_lab.system.models import SdkConfig, SystemConfig

    system = SystemConfig(name="s", sdk=SdkConfig(retry_mode="legacy"))
    retries = _retries(system)
    assert (retries.mode, retries.total_max_attempts) == ("legacy", 10)
    assert _retries(None).mode == "standard"


class _Recorder:
    """A boto3-like client that records calls and answers like an empty backend."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tables: dict[str, dict[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            if name == "list_tables":
                return {"TableNames": list(self.tables)}
            if name == "create_table":
                self.tables[kwargs["TableName"]] = kwargs
                return {}
            if name == "describe_table":
                return {"Table": {"TableStatus": "ACTIVE"}}
            if name == "create_queue":
                return {"QueueUrl": f"http://sqs/{kwargs['QueueName']}"}
            if name == "get_queue_attributes":
                return {"Attributes": {"QueueArn": "arn:dlq"}}
            return {}

        return call


def test_provisioning_creates_tables_queues_and_hashed_keys(monkeypatch):
    ddb, sqs = _Recorder(), _Recorder()
    monkeypatch.setattr(
        provision_mod, "admin_client", lambda svc, *a: ddb if svc == "dynamodb" else sqs
    )
    settings = AppSettings(cursor_secret="x" * 16)
    ep = Endpoints("http://d", "http://s", "http://c")
    made = provision_mod.provision(ep, settings, tenants=3)

    events = ddb.tables[settings.events_table]
    assert {g["IndexName"] for g in events["GlobalSecondaryIndexes"]} == {"inbox", "inbox_by_type"}
    assert set(ddb.tables) == {
        settings.events_table,
        settings.api_keys_table,
        settings.deliveries_table,
    }
    queue = next(kw for name, kw in sqs.calls if name == "create_queue" and "Attributes" in kw)
    assert json.loads(queue["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == "arn:dlq"
    assert made.tenants == ["tenant-1", "tenant-2", "tenant-3"] and len(set(made.api_keys)) == 3
    stored = [kw["Item"] for name, kw in ddb.calls if name == "put_item"]
    assert [i["key_hash"]["S"] for i in stored] == [hash_api_key(k) for k in made.api_keys]
    assert all(k not in json.dumps(stored) for k in made.api_keys)

    ddb.calls.clear()
    provision_mod.provision(ep, settings, tenants=1)  # tables exist: not created again
    assert not [c for c in ddb.calls if c[0] == "create_table"]


def test_localstack_token_is_passed_only_when_set(monkeypatch):
    monkeypatch.delenv("LOCALSTACK_AUTH_TOKEN", raising=False)
    assert "LOCALSTACK_AUTH_TOKEN" not in localstack.container_env()
    monkeypatch.setenv("LOCALSTACK_AUTH_TOKEN", "tok")
    assert localstack.container_env()["LOCALSTACK_AUTH_TOKEN"] == "tok"


def test_localstack_image_is_pinned_and_overridable(monkeypatch):
    monkeypatch.delenv("SCALING_LAB_LOCALSTACK_IMAGE", raising=False)
    assert localstack.image() == localstack.DEFAULT_IMAGE and ":latest" not in localstack.image()
    monkeypatch.setenv("SCALING_LAB_LOCALSTACK_IMAGE", "localstack/localstack:9.9")
    assert localstack.image() == "localstack/localstack:9.9"


def test_localstack_health_needs_every_service():
    up = {s: "running" for s in localstack.SERVICES}
    assert localstack.services_ready({"services": up})
    assert not localstack.services_ready({"services": {**up, "sqs": "error"}})


def test_child_process_that_dies_is_reported_with_its_log(tmp_path: Path):
    child = ChildProcess(
        "crasher", [sys.executable, "-c", "print('boom'); raise SystemExit(4)"], tmp_path / "c.log"
    )
    with pytest.raises(BackendUnavailable, match="boom"):
        wait_http(f"http://127.0.0.1:{free_port()}/", 10, child)
    child.stop()


def test_child_process_stop_ends_the_whole_group(tmp_path: Path):
    code = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print(p.pid, flush=True); time.sleep(60)"
    )
    child = ChildProcess("parent", [sys.executable, "-c", code], tmp_path / "p.log")
    deadline = time.monotonic() + 10
    while not (tmp_path / "p.log").read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int((tmp_path / "p.log").read_text().split()[0])
    child.stop()
    assert not child.alive()
    time.sleep(0.2)
    assert (
        not Path(f"/proc/{grandchild}").exists()
        or "Z" in Path(f"/proc/{grandchild}/stat").read_text().split(")")[1][:3]
    )


def _fake_start(monkeypatch: pytest.MonkeyPatch, localstack_error: str | None) -> list[str]:
    """Patch the backends, provisioning and the API so Stack.start runs without processes."""
    import emulator.stack.embedded as embedded
    import emulator.stack.stack as stack_mod
    from emulator.stack.provision import Provisioned

    started: list[str] = []

    class FakeBackend:
        endpoints = Endpoints("http://d", "http://s", "http://c")

        def stop(self) -> None:
            started.append("stopped")

    def fake_localstack() -> FakeBackend:
        if localstack_error:
            raise BackendUnavailable(localstack_error)
        started.append("localstack")
        return FakeBackend()

    def fake_embedded(run_dir: Path, persist: bool) -> FakeBackend:
        started.append("embedded")
        return FakeBackend()

    monkeypatch.setattr(localstack, "docker_reachable", lambda: True)
    monkeypatch.setattr(localstack, "start_localstack", fake_localstack)
    monkeypatch.setattr(embedded, "start_embedded", fake_embedded)
    monkeypatch.setattr(
        stack_mod, "provision", lambda ep, s, n: Provisioned("http://q", "http://dlq", ["k"], ["t"])
    )
    monkeypatch.setattr(stack_mod.Stack, "start_api", lambda self: None)
    return started


def test_auto_falls_back_to_embedded_when_localstack_does_not_start(monkeypatch, tmp_path):
    started = _fake_start(monkeypatch, localstack_error="image not available offline")
    stack = Stack(backend="auto", tenants=1, worker_concurrency=0, run_dir=tmp_path)
    stack.start()
    assert stack.backend is Backend.EMBEDDED and started == ["embedded"]
    assert stack.settings.queue_url == "http://q" and stack.api_keys == ["k"]
    stack.stop()
    assert started[-1] == "stopped"


def test_explicit_localstack_failure_is_reported_not_replaced(monkeypatch, tmp_path):
    started = _fake_start(monkeypatch, localstack_error="image not available offline")
    with pytest.raises(BackendUnavailable, match="offline"):
        Stack(backend="localstack", tenants=1, worker_concurrency=0, run_dir=tmp_path).start()
    assert "embedded" not in started


def test_child_started_from_a_worker_thread_outlives_that_thread(tmp_path: Path):
    import threading

    box: list[ChildProcess] = []
    t = threading.Thread(
        target=lambda: box.append(
            ChildProcess(
                "sleeper", [sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "s.log"
            )
        )
    )
    t.start()
    t.join()
    time.sleep(0.5)
    assert box[0].alive()
    box[0].stop()
    assert not box[0].alive()
