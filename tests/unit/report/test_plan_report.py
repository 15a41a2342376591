"""``report`` of a capacity plan: the section rendered in Markdown and HTML from the plan.json
of a real (small) plan run, alone or next to a run's report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.result import ResultKind, save_result
from tests.unit.store.synth_runs import QUIET, synth_run


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan")
    scenario = Path(__file__).resolve().parents[2] / "fixtures" / "plan" / "rate-cap.yaml"
    out = root / "plans"
    args = ["plan", str(scenario), "--system", "staging-no-burst", "--seeds", "2", "--seed", "1"]
    args += ["--executor", "serial", "--out", str(out)]
    args += ["--range", "lambda.reserved_concurrency=25:65:10"]
    args += ["--range", "lambda.rps_per_environment=10:20:10"]
    args += ["--grid", "reserved_concurrency,rps_per_environment"]
    assert main(args) == 0
    return out


def _plan(plan_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((plan_dir / "plan.json").read_text())


def test_the_plan_section_in_markdown(plan_dir: Path, tmp_path: Path) -> None:
    plan = _plan(plan_dir)
    rec = plan["recommended"]["values"]
    assert main(["report", str(plan_dir), "--out", str(tmp_path)]) == 0
    md = (tmp_path / "CAPACITY_PLAN.md").read_text()
    assert "## Capacity plan: plan-rate-cap" in md
    # the table of every candidate: cost a month and per 1M events, pass probability with its
    # interval, p95, first limit
    header = next(line for line in md.splitlines() if line.startswith("| lambda.reserved"))
    for col in ("seeds passing", "pass probability (95 % CI)", "p95", "first limit"):
        assert col in header
    assert "USD / month" in header and "USD / 1M events" in header
    rows = [line for line in md.splitlines() if re.match(r"\| \**\d", line)]
    assert len(rows) == len(plan["candidates"]) + len(plan["pareto"])
    failing = next(c for c in plan["candidates"] if c["passes"] == 0)
    low, high = failing["pass_interval_95"]
    assert f"0/2 | 0% ({low:.0%}-{high:.0%})" in md and "Lambda throttling (429)" in md
    # the recommended values and why (the step below failed, and the limit it hit)
    assert f"`lambda.reserved_concurrency` = **{rec['lambda.reserved_concurrency']}**" in md
    assert plan["recommended_why"]["lambda.reserved_concurrency"] in md
    assert "failed 2 of 2 seeds (first limit: Lambda throttling (429))" in md
    assert "(recommended)" in md and "Pareto frontier" in md
    # the plots, embedded as files next to the page
    for name in ("plan-frontier", "plan-pass-probability"):
        assert f"(plots/{name}.png)" in md
        assert (tmp_path / "plots" / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_the_plan_section_in_html(plan_dir: Path, tmp_path: Path) -> None:
    assert main(["report", str(plan_dir / "plan.json"), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "<h2>Capacity plan: plan-rate-cap</h2>" in page
    assert page.count("data:image/png;base64,") == 2
    assert 'id="plot-plan-pass-probability"' in page and "<th class=num>USD / month</th>" in page
    assert "<strong>Recommended</strong>" in page


def test_a_plan_next_to_a_run_adds_its_section_before_the_provenance(
    plan_dir: Path, tmp_path: Path
) -> None:
    run = save_result(synth_run(1, noise=QUIET, kind=ResultKind.PREDICTED), tmp_path / "r.json")
    assert main(["report", str(run), str(plan_dir), "--out", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "PERFORMANCE_BASELINE.md").read_text()
    titles = re.findall(r"^## (.+)$", md, flags=re.M)
    assert titles[-2:] == ["Capacity plan: plan-rate-cap", "Provenance"]
    assert "Summary" in titles and (tmp_path / "rep" / "plots" / "plan-frontier.png").is_file()


def test_a_bad_plan_json_is_one_line_naming_the_field(
    plan_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _plan(plan_dir)
    doc["candidates"][0]["passes"] = "many"
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(doc))
    assert main(["report", str(bad), "--out", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "candidates[0].passes" in err[0] and str(bad) in err[0]
