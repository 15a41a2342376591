"""The runner against a tiny local API: error classes, k6's own verdict, Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaling_lab.load import run_load
from scaling_lab.result import load_result
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system
from tests.fixtures.k6.fake_api import running, stats_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "k6"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def test_errors_are_classified_and_nothing_is_lost(tmp_path):
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    with running({"FAKE_API_THROTTLE_EVERY": "10", "FAKE_API_FAIL_EVERY": "25"}) as url:
        run = run_load(
            sc,
            load_system("staging"),
            target=url,
            api_key="k",
            scale=0.3,
            out_dir=tmp_path,
            live=False,
        )
        served = stats_of(url)["post_events"]
    s = run.result.summary
    assert s.requests == served  # every request k6 sent is in the result
    assert s.errors.throttled == served // 10
    assert s.errors.server == served // 25 - served // 50  # every 50th is already a 429
    assert s.thresholds_passed is False  # rate<0.001
    assert run.k6_exit_code == 99  # k6 agrees: thresholds failed, a result not a crash
    assert "http_req_failed{scenario:post_events}: rate<0.001" in run.k6_thresholds_failed
    assert load_result(run.path).summary == s
    assert s.dropped_iterations == 0  # k6 sees it: 0, not null
    assert s.max_lambda_concurrency is None  # nobody can see it here: null, never 0
    assert run.result.series[0].lambda_concurrency is None


def test_ctrl_c_stops_k6_and_writes_a_partial_result(tmp_path):
    with running({"FAKE_API_DELAY_MS": "5"}) as url:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scaling_lab.cli.main",
                "run",
                str(FIXTURES / "smoke-short.yaml"),
                "--target",
                url,
                "--api-key",
                "k",
                "--scale",
                "0.3",
                "--out",
                str(tmp_path),
                "--no-live",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(5)  # stack-less: k6 starts within ~1 s, so load is flowing
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"partial result written" in err
    (path,) = sorted(tmp_path.glob("*.json"))
    res = load_result(path)
    assert res.provenance.partial
    assert 0 < res.summary.requests < 240


def test_no_answer_is_a_timeout_class_error_without_latency(tmp_path):
    """A target that refuses connections: every request is an error of class timeout (no
    response), no latency is recorded, and k6's per-request warnings become one note."""
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    run = run_load(
        sc,
        load_system("staging"),
        target=f"http://127.0.0.1:{port}",
        api_key="k",
        scale=0.1,
        out_dir=tmp_path,
        live=False,
    )
    s = run.result.summary
    notes = run.result.provenance.notes
    assert 78 <= s.requests <= 80, notes  # 10 req/s x 8 s
    assert s.errors.timeout == s.requests
    assert s.latency_ms.p95 is None
    assert s.thresholds_passed is False
    (note,) = [n for n in notes if n.startswith("k6 reported")]
    assert "failed requests" in note and "connection refused" in note, note
    assert "Request Failed" not in (run.artifacts / "k6.log").read_text()


def test_dropped_iterations_are_the_load_generator_not_the_api(tmp_path):
    """A slow API exhausts k6's VUs: k6 drops iterations, reported apart from API errors."""
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    with running({"FAKE_API_DELAY_MS": "4000"}) as url:  # ~2 s mean: needs ~60 VUs at 30/s
        run = run_load(
            sc,
            load_system("staging"),
            target=url,
            api_key="k",
            scale=0.3,
            out_dir=tmp_path,
            live=False,
        )
    s = run.result.summary
    assert s.dropped_iterations is not None and s.dropped_iterations > 0
    assert s.errors.total == 0  # the API answered everything it was sent
    assert 238 <= s.requests + s.dropped_iterations <= 240  # 30 req/s x 8 s were planned
    # the cause k6 reported: its VU pool, not the load machine
    assert any("k6 ran out of VUs" in n for n in run.result.provenance.notes)
