"""``history``, ``baseline set|show`` and ``regress``: the run history and regression gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError

__all__ = ["register"]

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="history: a SQLite file or s3://bucket/prefix "
        "(default: SCALING_LAB_HOME or <project>/.scaling-lab/history.sqlite)",
        envvar="SCALING_LAB_STORE",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="one JSON document", envvar="SCALING_LAB_JSON")
]


def _wide() -> Console:
    """stdout; 160 columns wide when it is not a terminal (pipes, CI logs), not rich's 80."""
    if out.is_terminal:
        return out
    return Console(file=out.file, width=160, highlight=False, soft_wrap=True, no_color=True)


def _num(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _short_target(target: str) -> str:
    """model, local, or a URL's host."""
    from urllib.parse import urlsplit

    if "://" not in target:
        return target
    return urlsplit(target).netloc or target


def _history(
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="only this scenario", envvar="SCALING_LAB_SCENARIO"),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="predicted | observed", envvar="SCALING_LAB_KIND")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="newest N runs", envvar="SCALING_LAB_LIMIT")
    ] = 20,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """List recorded runs, newest first (baselines marked with *)."""
    from scaling_lab.store import open_store

    if kind is not None and kind not in ("predicted", "observed"):
        raise InputError(f"--kind {kind!r}: expected predicted or observed")
    with open_store(store) as st:
        runs = st.runs(scenario=scenario, kind=kind, limit=limit)
        base_ids = {b.run_id for b in st.baselines()}
        location = st.location
    if as_json:
        out.print_json(
            json.dumps([{**r.to_dict(), "baseline": r.run_id in base_ids} for r in runs])
        )
        return ExitCode.OK
    if not runs:
        err.print(f"no runs recorded in {location}")
        return ExitCode.OK
    out.print(f"history: {location}")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("run", no_wrap=True)
    left = ("kind", "started", "target", "backend", "system")
    for col in (*left[:2], "target", "backend", "system", "scale", "p95 ms", "p99 ms"):
        table.add_column(col, no_wrap=True, justify="left" if col in left else "right")
    for col in ("errors", "ok/s", "gate"):
        table.add_column(col, no_wrap=True, justify="right")
    for r in runs:
        gate = (
            Text("-", "dim")
            if r.thresholds_passed is None
            else (Text("pass", "green") if r.thresholds_passed else Text("FAIL", "red"))
        )
        table.add_row(
            ("*" if r.run_id in base_ids else " ") + r.run_id,
            r.kind,
            r.started_at[5:16].replace("T", " "),
            _short_target(r.target),
            r.backend or "-",
            r.system,
            f"x{r.scale:g}",
            _num(r.p95_ms, ".1f"),
            _num(r.p99_ms, ".1f"),
            "-" if r.error_rate is None else f"{r.error_rate:.2%}",
            _num(r.throughput_per_s, ",.0f"),
            gate,
        )
    _wide().print(table)
    out.print("* baseline; times in UTC; --json for every column (full target, git sha)")
    return ExitCode.OK


def _history_add(
    results: Annotated[list[Path], typer.Argument(help="result JSON files to record")],
    store: StoreOpt = None,
) -> int:
    """Record result files made elsewhere (CI artifacts, older runs) in the history."""
    from scaling_lab.result.io import load_result
    from scaling_lab.store import open_store

    with open_store(store) as st:
        for path in results:
            rec = st.record(load_result(path))
            out.print(f"recorded {rec.run_id}  ({rec.scenario}, {rec.kind}) in {st.location}")
    return ExitCode.OK


baseline_app = typer.Typer(
    help="Set or show the baseline each scenario is compared against.", no_args_is_help=True
)


@baseline_app.command("set")
def _baseline_set(
    run: Annotated[
        str,
        typer.Argument(
            help="run id (or unique part), 'latest[:scenario]', or a result file (recorded first)"
        ),
    ],
    store: StoreOpt = None,
) -> int:
    """Make RUN the baseline of its scenario (per kind: predicted and observed apart)."""
    from scaling_lab.result.io import load_result
    from scaling_lab.store import open_store

    with open_store(store) as st:
        is_file = Path(run).is_file()
        run_id = st.record(load_result(run)).run_id if is_file else st.find(run).run_id
        b = st.set_baseline(run_id)
    out.print(f"baseline of {b.scenario} ({b.kind}): {b.run_id}")
    return ExitCode.OK


@baseline_app.command("show")
def _baseline_show(
    scenario: Annotated[str | None, typer.Argument(help="only this scenario")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Show the baselines and their key figures."""
    from scaling_lab.store import open_store

    with open_store(store) as st:
        rows = [
            (b, st.find(b.run_id))
            for b in st.baselines()
            if scenario is None or b.scenario == scenario
        ]
    if as_json:
        out.print_json(json.dumps([{**b.to_dict(), "run": r.to_dict()} for b, r in rows]))
        return ExitCode.OK
    if not rows:
        err.print(
            "no baseline set"
            + (f" for {scenario}" if scenario else "")
            + "; use `scaling-lab baseline set RUN`"
        )
        return ExitCode.OK
    table = Table(show_edge=False)
    for col in ("scenario", "kind", "run", "set (UTC)", "git", "p95", "p99", "errors", "ok/s"):
        table.add_column(col)
    for b, r in rows:
        table.add_row(
            b.scenario,
            b.kind,
            b.run_id,
            b.set_at.replace("+00:00", ""),
            (r.git_sha or "-")[:8],
            _num(r.p95_ms, ".1f"),
            _num(r.p99_ms, ".1f"),
            "-" if r.error_rate is None else f"{r.error_rate:.3%}",
            _num(r.throughput_per_s, ",.0f"),
        )
    _wide().print(table)
    return ExitCode.OK


def _regress(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="candidate: result file, run id or latest[:scenario]; several reruns are pooled"
        ),
    ],
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline",
            help="baseline run (repeat to pool reruns; default: the scenario's baseline)",
            envvar="SCALING_LAB_BASELINE",
        ),
    ] = None,
    threshold: Annotated[
        str,
        typer.Option(
            "--threshold", help="degradation that counts, e.g. 5%", envvar="SCALING_LAB_THRESHOLD"
        ),
    ] = "5%",
    confidence: Annotated[
        float,
        typer.Option(
            "--confidence",
            help="confidence level of the intervals",
            envvar="SCALING_LAB_CONFIDENCE",
        ),
    ] = 0.95,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="write a JUnit XML report here", envvar="SCALING_LAB_JUNIT"),
    ] = None,
    allow_unlike: Annotated[
        bool,
        typer.Option(
            "--allow-unlike",
            help="compare even when kind, target, backend, system or scale differ (a warning)",
            envvar="SCALING_LAB_ALLOW_UNLIKE",
        ),
    ] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Compare a run (or reruns) with its baseline; exit 99 on a supported degradation over
    the threshold."""
    from scaling_lab.store import open_store, parse_threshold_pct
    from scaling_lab.store.gate import regression_gate
    from scaling_lab.store.junit import describe, junit_xml

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
        junit.parent.mkdir(parents=True, exist_ok=True)
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
            err.print("  " + describe(v, confidence), highlight=False)
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


_STYLE = {
    "regression": "bold red",
    "inconclusive": "yellow",
    "ok": "green",
    "improved": "cyan",
    "not observed": "dim",
}


def _print_report(report: object) -> None:
    from scaling_lab.store.junit import _fmt, _pct
    from scaling_lab.store.regress import RegressionReport

    assert isinstance(report, RegressionReport)
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
            else (f"[{_pct(v, v.ci_low)}, {_pct(v, v.ci_high)}]")
        )
        table.add_row(
            v.endpoint,
            v.metric,
            _fmt(v, v.baseline),
            _fmt(v, v.candidate),
            _pct(v, v.degradation),
            ci,
            "-" if v.detectable is None else ">" + _pct(v, v.detectable).lstrip("+"),
            Text(v.verdict.value, _STYLE[v.verdict.value]),
        )
    _wide().print(table)
    out.print(
        "detects: the smallest degradation these runs could flag; more, longer or pooled "
        "reruns (regress RUN RUN --baseline B --baseline B) lower it"
    )
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("history")(_history)
    app.command("history-add")(_history_add)
    app.add_typer(baseline_app, name="baseline")
    app.command("regress")(_regress)
