"""PERFORMANCE_BASELINE.md and report.html: structure, null figures, bottlenecks, plots."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.report import build_document, write_report
from scaling_lab.report.analysis import find_saturations
from scaling_lab.result import ResultBuilder, ResultKind, save_result
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system
from tests.unit.store.synth_runs import QUIET, synth_run

SECTIONS = [
    "Summary",
    "Latency",
    "Throughput",
    "Error responses",
    "Resource utilisation",
    "Bottleneck analysis",
    "Cost analysis",
    "Performance vs targets",
    "Next steps",
    "Plots",
    "Provenance",
]


def _spike_run(kind: ResultKind = ResultKind.OBSERVED, seed: int = 1):  # type: ignore[no-untyped-def]
    """A small spike where Lambda hits its cap 5 s into the spike and throttles."""
    sc = load_scenario("spike").scaled(0.01)  # 10 -> 100 -> 10 req/s
    system = load_system("staging")
    from scaling_lab.provenance import make_provenance

    b = ResultBuilder(
        sc,
        system,
        kind,
        make_provenance(
            target="local" if kind is ResultKind.OBSERVED else "model", backend=None, seed=seed
        ),
    )
    spike = int(sc.spike_start_s() or 0)
    for t in range(int(sc.duration_s)):
        rate = int(sc.rate_at(t + 0.5))
        saturated = spike + 5 <= t < spike + 20
        b.offered(t, rate)
        b.record(
            t,
            "post_events",
            250.0 if saturated else 20.0 + seed,
            None,
            rate - 5 if saturated else rate,
        )
        if saturated:
            b.record(t, "post_events", 2.0, b_err(), 5)
        b.figure(t, "lambda_concurrency", 1000.0 if saturated else rate * 0.05)
        b.figure(t, "lambda_throttles", 5 if saturated else 0)
        b.figure(t, "lambda_invocations", rate)
        b.figure(t, "ddb_provisioned_wcu", 5000.0)
        b.figure(t, "ddb_consumed_wcu", float(rate * 2))
    return b.build(run_id=f"spike-{kind.value}-{seed}")


def b_err():  # type: ignore[no-untyped-def]
    from scaling_lab.result import ErrorClass

    return ErrorClass.THROTTLED


def test_sections_in_the_story_order(tmp_path: Path) -> None:
    files = write_report([synth_run(1, noise=QUIET)], tmp_path)
    md = files.markdown.read_text()
    heads = re.findall(r"^## (.+)$", md, re.M)
    assert heads == SECTIONS
    assert "| post_events | p95 |" in md and "< 100 ms" in md
    assert "Cost per 1M events: $" in md
    assert {p.name for p in files.plots} >= {"traffic.png", "latency.png"}
    for p in files.plots:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"plots/{p.name}" in md


def test_null_figures_are_not_observed_never_zero(tmp_path: Path) -> None:
    r = synth_run(2, noise=QUIET)  # no Lambda/DynamoDB/SQS series at all
    assert r.summary.max_lambda_concurrency is None
    md = write_report([r], tmp_path).markdown.read_text()
    util = md.split("## Resource utilisation")[1].split("## ")[0]
    assert "| Lambda concurrency | not observed |" in util
    assert "| cold starts | not observed |" in util
    assert "| SQS queue depth | not observed |" in util
    assert "| 0 " not in util.replace("| 0 RCU", "")
    assert "not observed" in md.split("## Throughput")[1].split("## ")[0]  # dropped iterations


def test_bottleneck_names_the_first_limit_and_when() -> None:
    r = _spike_run()
    sats = [s for s in find_saturations(r) if s.hard]
    spike = int(r.scenario.spike_start_s() or 0)
    assert sats[0].limit == "Lambda concurrency cap"
    assert sats[0].first_s == spike + 5 and sats[0].seconds == 15
    assert any(s.limit == "Lambda throttling (429)" for s in sats)
    doc = build_document([r])
    text = " ".join(
        getattr(b, "text", "")
        for s in doc.sections
        if s.title == "Bottleneck analysis"
        for b in s.blocks
    )
    first = text.split("Then:")[0]
    assert "The first limit" in first and "Lambda concurrency cap" in first
    assert f"t = {spike + 5} s (spike +5 s)" in text


def test_predicted_vs_observed_section_when_both_given(tmp_path: Path) -> None:
    observed, predicted = _spike_run(), _spike_run(ResultKind.PREDICTED, seed=3)
    files = write_report([predicted, observed], tmp_path)
    md = files.markdown.read_text()
    assert "## Predicted vs observed" in md
    assert "spike-observed-1" in md.split("## Summary")[0]  # the report is about the observed run
    assert (tmp_path / "plots" / "predicted-vs-observed.png").is_file()


def test_html_is_self_contained(tmp_path: Path) -> None:
    page = write_report([_spike_run()], tmp_path).html.read_text()
    assert page.count('src="data:image/png;base64,') >= 4
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page


def test_report_command_takes_files_and_run_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALING_LAB_STORE", str(tmp_path / "h.sqlite"))
    r = synth_run(5, noise=QUIET, run_id="run-in-history")
    f = save_result(
        synth_run(6, noise=QUIET, run_id="run-in-file").model_copy(
            update={"kind": ResultKind.PREDICTED}
        ),
        tmp_path / "p.json",
    )
    assert main(["history-add", str(save_result(r, tmp_path / "r.json"))]) == 0
    out = tmp_path / "rep"
    assert main(["report", "run-in-history", str(f), "--out", str(out)]) == 0
    md = (out / "PERFORMANCE_BASELINE.md").read_text()
    assert "run-in-history" in md and "## Predicted vs observed" in md
    assert main(["report", "no-such-run", "--out", str(out)]) == 2


def test_started_at_is_shown_in_utc() -> None:
    r = synth_run(7, noise=QUIET)
    local = datetime(2026, 11, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    r = r.model_copy(update={"provenance": r.provenance.model_copy(update={"started_at": local})})
    doc = build_document([r])
    assert "started 2026-11-01 12:30 UTC." in doc.subtitle  # 14:30 at +02:00
    assert "14:30" not in doc.subtitle
