"""The Chaos Toolkit extension without a stack: bad arguments are one-line errors naming the
argument, and probes over a finished run read its last seconds with the judging code."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from scaling_lab.chaos import ctk
from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.load.runner import LoadRun
from scaling_lab.result.models import EndpointSecond, ErrorCounts, SecondSample


@pytest.fixture
def finished(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run named 'done' that ended after 6 of its 10 seconds: 40 responses a second, 4 of
    them failed in seconds 4 and 5; DynamoDB throttled 3 then 7 requests in those seconds."""

    series = [
        SecondSample(
            t_s=t,
            completed=40 if t < 6 else 0,
            errors=ErrorCounts(server=4 if t in (4, 5) else 0),
            endpoints={
                "post_events": EndpointSecond(
                    requests=40 if t < 6 else 0,
                    errors=ErrorCounts(server=4 if t in (4, 5) else 0),
                )
            },
            ddb_throttled={4: 3, 5: 7}.get(t, 0),
        )
        for t in range(10)
    ]

    result = SimpleNamespace(series=series)

    state = ctk._Run("done", 10.0)
    state.load = LoadRun(result, Path("r.json"), Path("r"), None, 0, [])  # type: ignore[arg-type]
    state.done.set()
    monkeypatch.setitem(ctk._RUNS, "done", state)


def test_probes_read_the_last_seconds_of_a_finished_run(finished: None) -> None:
    """last 2 s = seconds 4 and 5 (the last with responses): 8 / 80 failed, 3 + 7 throttled;
    last 6 s: 8 / 240."""
    assert ctk.error_rate(last_s=2, run="done") == pytest.approx(0.1)
    assert ctk.error_rate(last_s=6, run="done") == pytest.approx(8 / 240)
    assert ctk.ddb_throttles(last_s=2, run="done") == 10
    assert ctk.figure("ddb_throttled", "max", last_s=6, run="done") == 7
    assert ctk.active_faults(run="done") == 0  # the stack is gone with the load


def test_a_probe_with_nothing_measured_raises(finished: None) -> None:
    with pytest.raises(EnvironmentProblem, match="nothing measured in the last 2 s"):
        ctk.p95_ms(last_s=2, run="done")  # no latency was recorded in the fixture


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ctk.error_rate(run="nope"), "run: no load named 'nope' was started"),
        (lambda: ctk.error_rate(last_s="soon", run="done"), "last_s: expected a number"),
        (lambda: ctk.latency_ms(percentile=120, run="done"), "percentile: expected 0 to 100"),
        (lambda: ctk.figure("wcu", run="done"), "figure 'wcu' is not a figure"),
        (lambda: ctk.inject_fault("meteor", "5s", run="done"), "inject_fault: kind:"),
        (
            lambda: ctk.inject_fault("added_latency", "5s", run="done"),
            "kind 'added_latency' needs 'latency_ms'",
        ),
        (lambda: ctk.start_load("smoke", scale=-1), "scale: expected 0.0001 to 1000"),
        (
            lambda: ctk.before_experiment_control(None, scenario="smoke", sacle=2),
            "controls: unknown argument 'sacle'; expected backend, out_dir, run, scale",
        ),
        (lambda: ctk.before_experiment_control(None), "argument 'scenario' is required"),
    ],
)
def test_bad_arguments_are_one_line_errors_naming_them(
    finished: None, call: object, message: str
) -> None:
    with pytest.raises(InputError) as exc:
        call()  # type: ignore[operator]
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_faults_need_a_running_stack(finished: None) -> None:
    with pytest.raises(EnvironmentProblem, match="the local stack is not running"):
        ctk.clear_faults(run="done")
