"""The run history in S3, against the local stack's S3 server (emulator.stack.moto_server) on
loopback, through an endpoint URL; `report` reads a run from it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.store.synth_runs import QUIET, synth_run

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator.stack.moto_server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local S3 server did not start") from None
                time.sleep(0.2)
        for key, value in (
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ):
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_s3_history_through_an_endpoint_url(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from scaling_lab.cli.main import main
    from scaling_lab.store import open_store

    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="team-history")
    monkeypatch.setenv("SCALING_LAB_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("SCALING_LAB_STORE", "s3://team-history/scaling-lab")
    run = synth_run(1, noise=QUIET, run_id="s3-run-1")
    with open_store() as store:
        assert store.location.startswith("s3://team-history/scaling-lab")
        store.record(run)
        store.record(synth_run(2, noise=QUIET, run_id="s3-run-2"))
        store.set_baseline("s3-run-1")
    assert main(["regress", "s3-run-2"]) == 0
    assert main(["report", "s3-run-1", "--out", str(tmp_path / "rep")]) == 0
    assert "s3-run-1" in (tmp_path / "rep" / "PERFORMANCE_BASELINE.md").read_text()
    with open_store() as store:
        assert [r.run_id for r in store.runs()] == ["s3-run-2", "s3-run-1"]
        assert store.load("s3-run-1") == run
    assert os.environ["SCALING_LAB_STORE"].startswith("s3://")
