"""Safer URL runs: pre-flight before anything is sent, abort conditions, the VU pool."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.load import run_load
from scaling_lab.result import load_result
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system
from tests.fixtures.k6.fake_api import running, stats_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "k6"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture
def k6_spy(tmp_path, monkeypatch):
    """A stand-in k6 that records every invocation; a run past the pre-flight would call it."""
    marker = tmp_path / "k6-was-called"
    spy = tmp_path / "k6"
    spy.write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\necho 'k6 v1.1.0 (spy)'\n")
    spy.chmod(0o755)
    monkeypatch.setenv("SCALING_LAB_K6", str(spy))
    return marker


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def test_closed_port_fails_in_the_preflight_in_under_5_s(k6_spy, tmp_path, capsys):
    out = tmp_path / "runs"
    t0 = time.monotonic()
    code = main(
        [
            "run",
            "smoke",
            "--target",
            f"http://127.0.0.1:{closed_port()}",
            "--api-key",
            "k",
            "--out",
            str(out),
            "--no-live",
        ]
    )
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 3, err
    assert elapsed < 5.0
    assert "pre-flight" in err and "does not accept connections" in err
    assert not k6_spy.exists() and not out.exists()  # no load, no result


def test_missing_key_is_refused_before_anything_is_sent(k6_spy, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SCALING_LAB_API_KEY", raising=False)
    with running() as url:
        code = main(["run", "smoke", "--target", url, "--out", str(tmp_path), "--no-live"])
        assert stats_of(url)["get_inbox"] == 0
    assert code == 2
    assert "--api-key" in capsys.readouterr().err
    assert not k6_spy.exists()


def test_a_refused_key_fails_the_preflight(k6_spy, tmp_path, capsys):
    with running({"FAKE_API_KEY": "right"}) as url:
        code = main(
            [
                "run",
                "smoke",
                "--target",
                url,
                "--api-key",
                "wrong",
                "--out",
                str(tmp_path),
                "--no-live",
            ]
        )
        assert stats_of(url) == {"post_events": 0, "get_inbox": 1, "ack": 0}
    err = capsys.readouterr().err
    assert code == 2 and "refused the API key (HTTP 401)" in err
    assert "wrong" not in err  # the key itself is never printed
    assert not k6_spy.exists()


def test_a_good_key_passes_the_preflight_and_the_run_goes_ahead(tmp_path, capsys):
    with running({"FAKE_API_KEY": "right"}) as url:
        code = main(
            [
                "run",
                str(FIXTURES / "smoke-short.yaml"),
                "--scale",
                "0.1",
                "--target",
                url,
                "--api-key",
                "right",
                "--out",
                str(tmp_path),
                "--no-live",
            ]
        )
        served = stats_of(url)["post_events"]
    err = capsys.readouterr().err
    assert code == 0, err
    assert "pre-flight" in err and "GET /v1/inbox?limit=1 200" in err
    assert 70 <= served <= 90  # 10 req/s x 8 s


def failing_scenario(tmp_path: Path, abort: str) -> Scenario:
    base = load_scenario(FIXTURES / "smoke-short.yaml")
    data = base.model_dump(by_alias=True, mode="json", exclude_none=True)
    data["traffic"]["stages"] = [{"duration": "30s", "target": 100, "name": "steady"}]
    data["abort"] = {"conditions": [abort], "delay": "2s"}
    return Scenario.model_validate(data)


def test_abort_condition_stops_the_run_early_with_a_partial_result(tmp_path):
    """Every 2nd POST answers 500; ``rate<0.2`` fails at the first check after the 2 s delay,
    so a 30 s scenario ends after a few seconds and keeps what it measured."""
    sc = failing_scenario(tmp_path, "rate<0.2")
    t0 = time.monotonic()
    with running({"FAKE_API_FAIL_EVERY": "2"}) as url:
        run = run_load(
            sc,
            load_system("staging"),
            target=url,
            api_key="k",
            scale=0.3,
            out_dir=tmp_path,
            live=False,
        )
    elapsed = time.monotonic() - t0
    assert run.aborted is not None and run.aborted.condition == "rate<0.2"
    assert 2.0 <= run.aborted.at_s < 5.0
    assert elapsed < 20.0  # the scenario alone is 30 s
    res = load_result(run.path)
    assert res.provenance.partial is True
    assert res.summary.thresholds_passed is False
    assert 0 < res.summary.requests < 30 * 30 / 3  # a fraction of the 900 planned
    assert res.summary.errors.server == pytest.approx(res.summary.requests / 2, abs=2)
    assert any(n.startswith("aborted after") for n in res.provenance.notes)


def test_abort_conditions_that_hold_let_the_run_finish(tmp_path):
    sc = failing_scenario(tmp_path, "rate<0.2")
    sc = sc.model_copy(update={"traffic": load_scenario(FIXTURES / "smoke-short.yaml").traffic})
    with running() as url:
        run = run_load(
            sc,
            load_system("staging"),
            target=url,
            api_key="k",
            scale=0.3,
            out_dir=tmp_path,
            live=False,
        )
    assert run.aborted is None and run.result.provenance.partial is False
    assert 235 <= run.result.summary.requests <= 245


def test_too_few_vus_is_named_as_the_cause_of_dropped_iterations(tmp_path):
    """30 req/s at ~100 ms needs ~3 busy VUs (Little's law); --max-vus 1 cannot keep up."""
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    with running({"FAKE_API_DELAY_MS": "200"}) as url:
        run = run_load(
            sc,
            load_system("staging"),
            target=url,
            api_key="k",
            scale=0.3,
            out_dir=tmp_path,
            live=False,
            preallocated_vus=1,
            max_vus=1,
        )
    script = (run.artifacts / "script.js").read_text()
    assert '"preAllocatedVUs": 1' in script and '"maxVUs": 1' in script
    assert (run.result.summary.dropped_iterations or 0) > 50
    note = next(n for n in run.result.provenance.notes if "iterations dropped" in n)
    assert "k6 ran out of VUs (post_events at 1 VUs" in note and "--max-vus" in note


def test_abort_stops_a_local_stack_run_early(tmp_path):
    """The local stack with a Lambda-errors fault from 1 s: the abort condition stops the run."""
    sc = Scenario.model_validate(
        {
            "name": "abort-local",
            "system": "staging",
            "traffic": {"start_rate": 20, "stages": [{"duration": "40s", "target": 20}]},
            "faults": [{"kind": "lambda_errors", "at": "1s", "duration": "39s", "rate": 1.0}],
            "abort": {"conditions": ["rate<0.3"], "delay": "3s"},
        }
    )
    run = run_load(sc, load_system("staging"), target="local", out_dir=tmp_path, live=False)
    assert run.aborted is not None and run.aborted.at_s < 8.0
    res = load_result(run.path)
    assert res.provenance.partial is True and res.summary.thresholds_passed is False
    assert 20 <= res.summary.requests < 20 * 10  # stopped within ~10 s of a 40 s run
    assert res.summary.errors.server > 0
