"""`verify` end to end on a short real run: predict -> k6 on the local stack -> compare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.compare import compare
from scaling_lab.result import ResultKind, load_result

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "tiny-step.yaml"

pytestmark = pytest.mark.integration


def test_verify_writes_a_complete_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["verify", str(SCENARIO), "--scale", "1", "--out", str(tmp_path), "--seed", "3"])
    out = capsys.readouterr()
    assert code in (0, 99), out.err[-2000:]
    assert "Traceback" not in out.err + out.out
    (run_dir,) = list(tmp_path.glob("*-verify-tiny-step"))
    predicted = load_result(run_dir / "predicted.json")
    observed = load_result(run_dir / "observed.json")
    assert predicted.kind is ResultKind.PREDICTED and observed.kind is ResultKind.OBSERVED
    # The observed run saw the real stack: every second has responses and the emulator's
    # figures were merged (Lambda concurrency is observable locally, never on k6 alone).
    assert observed.summary.requests >= 0.9 * SCENARIO_REQUESTS
    assert observed.summary.max_lambda_concurrency is not None
    assert observed.summary.max_ddb_provisioned_wcu is not None
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["model_agrees"] == (code == 0)
    assert verdict["calibrated"] is True
    assert (run_dir / "calibrated.yaml").is_file()
    assert "| recovery_s |" in (run_dir / "compare.md").read_text()
    assert (run_dir / "compare-overview.png").stat().st_size > 10_000
    # both verdicts are on the terminal, and say how they were reached
    assert "model vs observation, as given" in out.out
    assert "model vs observation, calibrated on the before phase" in out.out
    assert verdict["replications"] == 10 and predicted.replicates is not None
    assert verdict["arrivals"] == "even" and predicted.provenance.arrivals == "even"
    # compare on the files gives the same verdicts as the job (the calibrated comparison
    # leaves out the phase it was fitted on)
    final = load_result(run_dir / "predicted-calibrated.json")
    assert compare(predicted, observed).passed == verdict["model_agrees_before_calibration"]
    excluded = compare(final, observed, exclude_phases=("before",))
    assert excluded.passed == verdict["model_agrees"]


SCENARIO_REQUESTS = 12 * 10 + 8 * 30 + 6 * 10


def test_calibrate_cli_on_a_real_observed_run(tmp_path: Path) -> None:
    code = main(["run", str(SCENARIO), "--target", "local", "--out", str(tmp_path)])
    assert code in (0, 99)
    (result,) = [p for p in tmp_path.glob("*.json") if "observed" in p.name]
    assert main(["calibrate", str(result), "-o", str(tmp_path / "cal.yaml")]) == 0
    text = (tmp_path / "cal.yaml").read_text()
    assert "lambda.service_time_ms.post_events: lognormal from run" in text
    assert main(["validate", str(tmp_path / "cal.yaml")]) == 0
