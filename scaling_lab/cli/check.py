"""``check``: the CI gate on a result file - limits plus the scenario's thresholds, JUnit XML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scaling_lab.cli.options import ForceOpt, finite_in
from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode
from scaling_lab.scenario.limits import MAX_RATE_PER_S

__all__ = ["register"]

MAX_LATENCY_MS = 3_600_000.0  # an hour: no request the gate judges takes longer
LATENCY_LIMIT = finite_in(0, MAX_LATENCY_MS, above_low=True, unit=" ms")


def _check(
    result: Annotated[
        str, typer.Argument(help="result file, run folder, run id or latest[:scenario[:kind]]")
    ],
    p95_ms: Annotated[
        float | None,
        typer.Option(
            "--p95-ms",
            help="fail when overall p95 exceeds this",
            envvar="SCALING_LAB_P95_MS",
            callback=LATENCY_LIMIT,
        ),
    ] = None,
    p99_ms: Annotated[
        float | None,
        typer.Option(
            "--p99-ms",
            help="fail when overall p99 exceeds this",
            envvar="SCALING_LAB_P99_MS",
            callback=LATENCY_LIMIT,
        ),
    ] = None,
    error_rate: Annotated[
        float | None,
        typer.Option(
            "--error-rate",
            help="fail when the error rate exceeds this (0.001 = 0.1 %)",
            envvar="SCALING_LAB_ERROR_RATE",
            callback=finite_in(0, 1),
        ),
    ] = None,
    min_throughput: Annotated[
        float | None,
        typer.Option(
            "--min-throughput",
            help="fail below this many successful req/s",
            envvar="SCALING_LAB_MIN_THROUGHPUT",
            callback=finite_in(0, MAX_RATE_PER_S, unit=" req/s"),
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit", help="also write JUnit XML here (for CI)", envvar="SCALING_LAB_JUNIT"
        ),
    ] = None,
    scenario_thresholds: Annotated[
        bool,
        typer.Option(
            "--scenario-thresholds/--no-scenario-thresholds",
            help="include the scenario's thresholds and recovery SLO",
            envvar="SCALING_LAB_SCENARIO_THRESHOLDS",
        ),
    ] = True,
    force: ForceOpt = False,
) -> int:
    """Gate a result: a table of verdicts; exit 99 when any check fails."""
    from scaling_lab.cli.paths import output_file
    from scaling_lab.junit import MARKER
    from scaling_lab.load.gate import GateLimits, gate, junit_xml
    from scaling_lab.report.terminal import verdict_text
    from scaling_lab.store import resolve_result

    if junit is not None:
        output_file(junit, "--junit", force=force, written_by=MARKER)
    res = resolve_result(result)
    limits = GateLimits(
        p95_ms=p95_ms, p99_ms=p99_ms, error_rate=error_rate, min_throughput_per_s=min_throughput
    )
    verdicts = gate(res, limits, scenario_thresholds=scenario_thresholds)
    table = Table(
        title=f"{res.scenario.name} ({res.kind.value}, {res.run_id})",
        title_justify="left",
        show_edge=False,
    )
    for col in ("source", "endpoint", "check", "value", "verdict"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for v in verdicts:
        table.add_row(v.source.value, v.endpoint, v.check, v.observed_text, verdict_text(v.passed))
    out.print(table)
    if res.provenance.partial:
        err.print(
            "[red]the result is partial[/red] (the run was interrupted or its target died): "
            "it cannot pass the gate"
        )
    if junit is not None:
        junit.write_text(junit_xml(res, verdicts), encoding="utf-8")
        err.print(f"wrote {junit}")
    if not verdicts:
        err.print("[yellow]nothing to check:[/yellow] no scenario thresholds and no limits given")
        return ExitCode.OK
    failed = [v for v in verdicts if not v.passed]
    if failed:
        out.print(f"[bold red]FAIL[/bold red] {len(failed)} of {len(verdicts)} checks failed")
        return ExitCode.THRESHOLDS_FAILED
    out.print(f"[bold green]PASS[/bold green] {len(verdicts)} checks")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("check")(_check)
