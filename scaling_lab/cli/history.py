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


def _unlike(base: object, cand: object) -> list[str]:
    """How two results differ in what makes their figures comparable."""
    from scaling_lab.result.models import RunResult

    assert isinstance(base, RunResult) and isinstance(cand, RunResult)
    diffs = []
    pairs = (
        ("kind", base.kind.value, cand.kind.value),
        ("target", base.provenance.target, cand.provenance.target),
        ("backend", base.provenance.backend, cand.provenance.backend),
        ("system", base.system.name, cand.system.name),
        ("scale", f"x{base.scenario.scale:g}", f"x{cand.scenario.scale:g}"),
    )
    for name, b, c in pairs:
        if b != c:
            diffs.append(f"{name} {b} vs {c}")
    if not diffs and base.system != cand.system:
        diffs.append(f"system {base.system.name!r} differs in its settings")
    return diffs


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
    run: Annotated[str, typer.Argument(help="candidate: result file, run id or latest[:scenario]")],
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="baseline run (default: the scenario's baseline in the history)",
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
    """Compare a run with its baseline; exit 99 on a supported degradation over the threshold."""
    from scaling_lab.store import (
        detect_regressions,
        open_store,
        parse_threshold_pct,
        resolve_result,
    )
    from scaling_lab.store.junit import describe, junit_xml
    from scaling_lab.store.regress import run_noise_from_history

    thr = parse_threshold_pct(threshold)
    with open_store(store) as st:
        cand = resolve_result(run, st)
        if baseline is not None:
            base = resolve_result(baseline, st)
        else:
            b = st.baseline_for(cand.scenario.name, cand.kind.value)
            if b is None:
                raise InputError(
                    f"no baseline for scenario {cand.scenario.name!r} ({cand.kind.value}) in "
                    f"{st.location}; set one with `scaling-lab baseline set RUN` or pass "
                    "--baseline"
                )
            base = st.load(b.run_id)
        peers = [
            r
            for r in st.runs(scenario=cand.scenario.name, kind=cand.kind.value, limit=40)
            if r.run_id != cand.run_id
            and r.target == cand.provenance.target
            and r.backend == cand.provenance.backend
            and r.system == cand.system.name
            and not r.partial
        ][:10]
        # comparable: same scenario and system definitions (not only names), same target
        comparable = []
        for peer in peers:
            try:
                loaded = st.load(peer.run_id)
            except InputError:
                continue  # stored under an older schema: not comparable
            if loaded.scenario == cand.scenario and loaded.system == cand.system:
                comparable.append(loaded)
        noise = None
        source = None
        if len(comparable) >= 3:
            noise = run_noise_from_history(comparable)
            source = f"history: {len(comparable)} comparable runs"
    if base.run_id == cand.run_id:
        raise InputError(f"run {cand.run_id} is its own baseline; name another with --baseline")
    unlike = _unlike(base, cand)
    if unlike and not allow_unlike:
        raise InputError(
            f"regress: {cand.run_id} and baseline {base.run_id} are not comparable ("
            + "; ".join(unlike)
            + "); --allow-unlike compares them anyway"
        )
    if unlike:
        err.print(
            "[yellow]warning:[/yellow] comparing unlike runs (" + "; ".join(unlike) + "): "
            "a difference may be the set-up, not a regression"
        )
    report = detect_regressions(
        base, cand, threshold=thr, confidence=confidence, run_noise=noise, noise_source=source
    )
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(junit_xml(report), encoding="utf-8")
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "baseline": report.baseline_id,
                    "candidate": report.candidate_id,
                    "threshold": report.threshold,
                    "confidence": report.confidence,
                    "paired": report.paired,
                    "block_s": report.block_s,
                    "run_noise": report.noise_source,
                    "regressed": report.regressed,
                    "notes": report.notes,
                    "verdicts": [
                        {
                            "endpoint": v.endpoint,
                            "metric": v.metric,
                            "baseline": v.baseline,
                            "candidate": v.candidate,
                            "degradation": v.degradation,
                            "ci_low": v.ci_low,
                            "ci_high": v.ci_high,
                            "threshold": v.threshold,
                            "verdict": v.verdict.value,
                            "detectable": v.detectable,
                        }
                        for v in report.verdicts
                    ],
                }
            )
        )
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
    out.print(f"baseline  {report.baseline_id}\ncandidate {report.candidate_id}")
    out.print(
        f"threshold {report.threshold:.1%}, {report.confidence:.0%} CI: "
        f"{'paired' if report.paired else 'independent'} block bootstrap "
        f"({report.block_s} s blocks), run-to-run noise: {report.noise_source}"
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
        "detects: the smallest degradation these runs could flag (threshold + the interval's "
        "half-width); more or longer runs lower it"
    )
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("history")(_history)
    app.command("history-add")(_history_add)
    app.add_typer(baseline_app, name="baseline")
    app.command("regress")(_regress)
