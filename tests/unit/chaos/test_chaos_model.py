"""chaos run --target model: per-phase verdicts, first deviation, intervals over replications,
stop conditions, exit codes and the Chaos Toolkit journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.chaos.hypothesis import experiment_phases, probe_value
from scaling_lab.chaos.loader import load_experiment
from scaling_lab.chaos.model_target import run_on_model
from scaling_lab.chaos.models import Probe
from scaling_lab.chaos.outcome import ChaosStatus, Verdict
from scaling_lab.cli.main import main
from scaling_lab.result.models import ErrorCounts, SecondSample
from scaling_lab.scenario.models import FaultKind
from scaling_lab.scenario.thresholds import parse_threshold

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"


def _outcome(name: str, runs: int = 1):  # type: ignore[no-untyped-def]
    return run_on_model(load_experiment(FIX / name), runs=runs)


def _by(outcome, phase: str, probe: str):  # type: ignore[no-untyped-def]
    return next(p for p in outcome.probes if p.phase.name == phase and p.probe == probe)


def test_the_method_is_merged_into_the_scenarios_faults() -> None:
    loaded = load_experiment(FIX / "lambda-errors.yaml")
    (fault,) = loaded.scenario.faults
    assert fault.kind is FaultKind.LAMBDA_ERRORS and (fault.at_s, fault.duration_s) == (5, 5)
    assert [p.name for p in experiment_phases(loaded.experiment, 20)] == [
        "before",
        "during:errors",
        "after",
    ]


def test_lambda_errors_deviate_during_the_fault_only() -> None:
    """rate 0.5 of invocations fail on [5 s, 10 s): the phase's error rate is a binomial
    proportion around 0.5 (1,000 requests: sd 0.016), 0 before and after; the first second
    that breaks rate<0.01 is 5; the 'after' phase is good from its first second (recovery 0)."""
    o = _outcome("lambda-errors.yaml", runs=3)
    assert _by(o, "before", "error rate").verdict is Verdict.HELD
    during = _by(o, "during:errors", "error rate")
    assert during.verdict is Verdict.DEVIATED and during.deviated_in == 3
    assert during.observed is not None and 0.44 < during.observed.mean < 0.56
    assert during.observed.low < during.observed.mean < during.observed.high
    assert during.excess is not None and during.excess.mean == pytest.approx(
        during.observed.mean - 0.01
    )
    assert during.first_deviation_s is not None and during.first_deviation_s.mean == 5
    assert _by(o, "during:errors", "throughput").verdict is Verdict.DEVIATED  # ~100 ok/s
    assert _by(o, "after", "error rate").verdict is Verdict.HELD
    back = _by(o, "after", "back")
    assert back.verdict is Verdict.HELD and back.observed is not None and back.observed.mean == 0
    assert _by(o, "before", "back").verdict is Verdict.NOT_APPLICABLE
    assert o.status is ChaosStatus.FAILED and o.deviated and not o.held
    assert [v.seed for v in o.replications] == [42, 43, 44]
    assert o.result.intervals is not None  # the RunResult of the load, over the 3 runs


def test_a_harmless_fault_holds() -> None:
    o = _outcome("harmless.yaml")
    assert all(p.verdict is Verdict.HELD for p in o.probes), [
        (p.probe, p.verdict) for p in o.probes
    ]
    assert o.status is ChaosStatus.COMPLETED and o.held


def test_a_stop_condition_aborts_the_run() -> None:
    """Every invocation fails from 5 s; rate<0.5 broken for 3 consecutive seconds (5, 6, 7):
    aborted at the end of second 7, i.e. at 8 s; the 'after' phase (15 s) is never reached."""
    o = _outcome("abort.yaml")
    assert [v.abort_s for v in o.replications] == [8.0]
    assert o.status is ChaosStatus.ABORTED and o.deviated
    assert _by(o, "after", "error rate").verdict is Verdict.NOT_REACHED


def _sec(t: int, completed: int, errors: int, depth: int) -> SecondSample:
    return SecondSample(
        t_s=t, completed=completed, errors=ErrorCounts(server=errors), sqs_depth=depth
    )


@pytest.mark.parametrize(
    ("figure", "tolerance", "expected"),
    [
        ("sqs_depth", "max<1", 73.0),
        ("sqs_depth", "min<1", 7.0),
        ("sqs_depth", "avg<1", (7 + 73 + 19) / 3),
        ("sqs_depth", "count<1", 99.0),
        ("sqs_depth", "rate<1", 33.0),  # sum per second
        ("sqs_depth", "value<1", 19.0),  # the last second's
        ("throughput", "min<1", 730.0 - 11),  # successful responses of a second
        ("sqs_depth", "max<1 over 2s", 73.0),  # worst 2-second window's max
        ("sqs_depth", "avg<1 over 2s", 46.0),  # windows (7+73)/2=40, (73+19)/2=46: the worst
    ],
)
def test_figure_probe_aggregations(figure: str, tolerance: str, expected: float) -> None:
    series = [_sec(0, 730, 0, 7), _sec(1, 731, 0, 73), _sec(2, 730, 11, 19)]
    probe = Probe(name="p", figure=figure, tolerance=tolerance)
    assert probe_value(probe, parse_threshold(tolerance), series) == pytest.approx(expected)


def test_cli_exit_codes_and_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", "run", str(FIX / "harmless.yaml"), "--out", str(tmp_path)]) == 0
    assert main(["chaos", "run", str(FIX / "lambda-errors.yaml"), "--out", str(tmp_path)]) == 98
    capsys.readouterr()
    folders = sorted(tmp_path.glob("chaos-lambda-errors-*"))
    assert len(folders) == 1
    journal = json.loads((folders[0] / "journal.json").read_text())
    result_files = [p for p in folders[0].glob("*.json") if p.name != "journal.json"]
    assert len(result_files) == 1  # the RunResult next to the journal
    assert journal["experiment"]["extensions"][0]["result"] == result_files[0].name
    for key in ("chaoslib-version", "platform", "node", "start", "end", "duration", "run"):
        assert key in journal
    assert journal["status"] == "failed" and journal["deviated"] is True
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    (during,) = journal["steady_states"]["during"]
    assert during["steady_state_met"] is False
    probe = during["probes"][0]
    assert probe["tolerance_met"] is False and probe["output"]["first_deviation_s"]["mean"] == 5
    (action,) = journal["run"]
    assert action["status"] == "succeeded" and action["duration"] == 5.0
    assert action["activity"]["type"] == "action" and action["activity"]["name"] == "errors"
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["clear faults"]
    assert journal["duration"] == 20.0
    assert journal["experiment"]["steady-state-hypothesis"]["probes"][0]["tolerance"] == "rate<0.01"


def test_unmodelled_faults_are_said_and_journalled_as_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = tmp_path / "sqs.yaml"
    exp.write_text(
        (FIX / "harmless.yaml")
        .read_text()
        .replace("scenario: tiny", f"scenario: {FIX / 'tiny.yaml'}")
        .replace(
            "{name: slow, kind: added_latency, target: dynamodb, at: 5s, duration: 5s, "
            "latency_ms: 1}",
            "{name: queue down, kind: sqs_unavailable, target: sqs, at: 5s, duration: 5s}",
        )
    )
    assert main(["chaos", "run", str(exp), "--out", str(tmp_path), "--json"]) == 0
    cap = capsys.readouterr()
    assert "queue down: the model does not model this fault" in cap.err
    (action,) = json.loads(cap.out)["run"]
    assert (
        action["status"] == "failed" and "does not model sqs_unavailable" in action["exception"][0]
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "lokal"], "--target 'lokal': expected 'model', 'local', or a staging URL"),
        (["--target", "local", "--runs", "2"], "--runs: the local target runs once"),
        (["--target", "local", "--dry-run"], "--dry-run: the local target has no plan"),
        (["--target", "https://staging.example.com"], "--fis-role-arn: required"),
        (["--target", "https://staging.example.com", "--runs", "3"], "--runs: a staging run"),
        (["--dry-run"], "--dry-run: the model target creates nothing"),
    ],
)
def test_targets_not_available_are_one_line_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chaos", "run", str(FIX / "harmless.yaml"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
