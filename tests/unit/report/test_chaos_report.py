"""``report`` of a chaos run folder: the hypothesis verdicts and the fault timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"


def test_a_chaos_run_folder_gets_its_section_and_timeline(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert main(["chaos", "run", str(FIX / "lambda-errors.yaml"), "--out", str(runs)]) == 98
    (folder,) = runs.glob("chaos-*")
    out = tmp_path / "report"
    assert main(["report", str(folder), "--out", str(out)]) == 0
    md = (out / "PERFORMANCE_BASELINE.md").read_text()
    section = md[md.index("## Chaos experiment: half the invocations fail for 5 s") :]
    assert "status **failed**" in section
    # the fault's phase: errors deviate (half the invocations fail), the verdict counted
    row = next(
        line for line in section.splitlines() if line.startswith("| during:errors | error rate")
    )
    assert "**deviated** 1/1" in row
    assert "`lambda_errors` on lambda from 5 s for 5 s" in section
    assert (out / "plots" / "chaos-timeline.png").stat().st_size > 5_000
    assert "chaos-timeline" in (out / "report.html").read_text()


def test_a_folder_without_its_result_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "chaos-x"
    folder.mkdir()
    (folder / "journal.json").write_text('{"steady_states": {}}')
    assert main(["report", str(folder), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected the load's RunResult beside journal.json" in err[0]
