"""``regress``: a run (or reruns) against its baseline, the regression gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from scaling_lab.cli.options import ForceOpt, JsonOpt, StoreOpt, finite_in, opt
from scaling_lab.cli.output import err, out, wide
from scaling_lab.errors import ExitCode

if TYPE_CHECKING:
    from scaling_lab.store.regress import RegressionReport

__all__ = ["register"]


def _regress(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="candidate: result file, run id or latest[:scenario]; several reruns are pooled"
        ),
    ],
    baseline: Annotated[
        list[str] | None,
        opt("--baseline", "baseline run (repeat to pool reruns; default: the scenario's baseline)"),
    ] = None,
    threshold: Annotated[str, opt("--threshold", "degradation that counts, e.g. 5%")] = "5%",
    confidence: Annotated[
        float,
        opt(
            "--confidence",
            "confidence level of the intervals, 0.5 up to (not including) 1",
            callback=finite_in(0.5, 1, below_high=True),
        ),
    ] = 0.95,
    junit: Annotated[Path | None, opt("--junit", "write a JUnit XML report here")] = None,
    allow_unlike: Annotated[
        bool,
        opt(
            "--allow-unlike",
            "compare even when kind, target, backend, system or scale differ (a warning)",
        ),
    ] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
) -> int:
    """Compare a run (or reruns) with its baseline; exit 99 on a supported degradation over
    the threshold."""
    from scaling_lab.cli.paths import output_file
    from scaling_lab.junit import MARKER
    from scaling_lab.store import open_store, parse_threshold_pct
    from scaling_lab.store.gate import regression_gate
    from scaling_lab.store.junit import junit_xml

    if junit is not None:
        output_file(junit, "--junit", force=force, written_by=MARKER)
    thr = parse_threshold_pct(threshold)
    with open_store(store) as st:
        outcome = regression_gate(
            st,
            runs,
            baseline or (),
            threshold=thr,
            confidence=confidence,
            allow_unlike=allow_unlike,
        )
    report = outcome.report
    if outcome.unlike:
        err.print(
            "[yellow]warning:[/yellow] comparing unlike runs ("
            + "; ".join(outcome.unlike)
            + "): a difference may be the set-up, not a regression"
        )
    if junit is not None:
        junit.write_text(junit_xml(report), encoding="utf-8")
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
    else:
        _print_report(report)
    if report.regressed:
        err.print(
            f"[red]regression:[/red] {len(report.regressions)} figure(s) degraded by more "
            f"than {thr:.0%} with {confidence:.0%} confidence"
        )
        for v in report.regressions:
            err.print("  " + v.describe(confidence), highlight=False)
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


_STYLE = {
    "regression": "bold red",
    "inconclusive": "yellow",
    "ok": "green",
    "improved": "cyan",
    "not observed": "dim",
}


def _print_report(report: RegressionReport) -> None:
    def runs(n: int) -> str:
        return f"  ({n} runs pooled)" if n > 1 else ""

    out.print(
        f"baseline  {report.baseline_id}{runs(report.baseline_runs)}\n"
        f"candidate {report.candidate_id}{runs(report.candidate_runs)}"
    )
    out.print(
        f"threshold {report.threshold:.1%}, {report.confidence:.0%} CI: "
        f"{'paired' if report.paired else 'independent'} block bootstrap "
        f"({report.block_s} s blocks), run-to-run noise: {report.noise_source}\n"
        f"regression: {report.rule}"
    )
    table = Table(show_edge=False)
    cols = (
        "endpoint",
        "figure",
        "baseline",
        "candidate",
        "degradation",
        "CI",
        "detects",
        "verdict",
    )
    right = ("baseline", "candidate", "degradation", "CI", "detects")
    for col in cols:
        table.add_column(col, justify="right" if col in right else "left")
    for v in report.verdicts:
        ci = (
            "-"
            if v.ci_low is None or v.ci_high is None
            else (f"[{v.change_text(v.ci_low)}, {v.change_text(v.ci_high)}]")
        )
        table.add_row(
            v.endpoint,
            v.metric,
            v.value_text(v.baseline),
            v.value_text(v.candidate),
            v.change_text(v.degradation),
            ci,
            "-" if v.detectable is None else ">" + v.change_text(v.detectable).lstrip("+"),
            Text(v.verdict.value, _STYLE[v.verdict.value]),
        )
    wide().print(table)
    out.print(
        "detects: the smallest degradation these runs could flag; more, longer or pooled "
        "reruns (regress RUN RUN --baseline B --baseline B) lower it"
    )
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("regress")(_regress)
