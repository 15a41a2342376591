"""Commands about files: ``scenarios``, ``validate``, ``schema``, ``show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from scaling_lab.cli.options import JsonOpt
from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError
from scaling_lab.scenario.loader import list_scenario_files, load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

__all__ = ["register"]


def _scenarios(
    as_json: JsonOpt = False,
) -> int:
    """List the shipped scenarios: peak rate, duration and total requests."""
    rows: list[dict[str, Any]] = []
    for path in list_scenario_files():
        sc = load_scenario(path)
        rows.append(
            {
                "name": sc.name,
                "description": sc.description,
                "file": str(path),
                "system": sc.system,
                "peak_rate_per_s": sc.peak_rate,
                "duration_s": sc.duration_s,
                "total_requests": round(sc.total_requests()),
                "mix": {k.value: round(v, 4) for k, v in sc.mix.fractions().items()},
                "recovery_deadline_s": sc.recovery.deadline_s if sc.recovery else None,
            }
        )
    if as_json:
        out.print_json(json.dumps(rows))
        return ExitCode.OK
    table = Table(show_edge=False)
    for col in ("name", "peak req/s", "duration", "requests", "description"):
        table.add_column(col, justify="right" if col in ("peak req/s", "requests") else "left")
    for r in rows:
        table.add_row(
            r["name"],
            f"{r['peak_rate_per_s']:,.0f}",
            f"{r['duration_s']:.0f} s",
            f"{r['total_requests']:,}",
            r["description"],
        )
    out.print(table)
    return ExitCode.OK


def _validate(
    files: Annotated[list[Path], typer.Argument(help="scenario or system YAML files")],
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            help="check scenarios against this system (name or file; default: the system "
            "files given, else each scenario's own)",
        ),
    ] = None,
) -> int:
    """Validate scenario and system files; list every problem with file and field path, and
    warn where a scenario uses an index its system does not declare."""
    from scaling_lab.filecheck import check_files

    found = check_files(files, system)
    for path, label in found.ok:
        out.print(f"[green]ok[/green]  {path}  ({label})")
    for w in found.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    for p in found.problems:
        err.print(f"[red]error:[/red] {escape(str(p))}", highlight=False)
    if found.problems:
        sources = len({p.source for p in found.problems})
        err.print(f"{len(found.problems)} problem(s) in {sources} file(s)")
        return ExitCode.INVALID_INPUT
    return ExitCode.OK


def _schema(
    kind: Annotated[
        str, typer.Argument(help="scenario | system | result | experiment")
    ] = "scenario",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="write <kind>.schema.json here", envvar="SCALING_LAB_OUT"),
    ] = None,
) -> int:
    """Print the JSON Schema of scenario, system, result or experiment files (for editors)."""
    from scaling_lab.chaos.models import Experiment
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.result.models import RunResult

    models: dict[str, Any] = {
        "scenario": Scenario,
        "system": SystemConfig,
        "result": RunResult,
        "experiment": Experiment,
    }
    if kind not in models:
        raise InputError(
            f"schema: unknown kind {kind!r}; expected scenario, system, result or experiment"
        )
    if out_dir is not None:
        writable_dir(out_dir, "--out", create=True)
    schema = models[kind].model_json_schema(by_alias=True)
    text = json.dumps(schema, indent=2)
    if out_dir is not None:
        target = out_dir / f"{kind}.schema.json"
        target.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {target}")
    else:
        out.print_json(text)
    return ExitCode.OK


def _show(
    result: Annotated[
        str, typer.Argument(help="result file, run folder, run id or latest[:scenario[:kind]]")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the summary as JSON", envvar="SCALING_LAB_JSON")
    ] = False,
) -> int:
    """Show a result's summary in the terminal."""
    from scaling_lab.cli.results import show
    from scaling_lab.store import resolve_result

    res = resolve_result(result)
    if as_json:
        out.print_json(res.summary.model_dump_json(exclude={"endpoints": {"__all__": {"hdr"}}}))
    else:
        show(res)
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("scenarios")(_scenarios)
    app.command("validate")(_validate)
    app.command("schema")(_schema)
    app.command("show")(_show)
