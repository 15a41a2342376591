"""Commands about files: ``scenarios``, ``validate``, ``schema``, ``show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError, Problem, ValidationFailed
from scaling_lab.scenario.loader import (
    list_scenario_files,
    load_model,
    load_scenario,
    model_from_data,
    read_yaml,
)
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import find_system
from scaling_lab.system.indexes import undeclared_indexes
from scaling_lab.system.models import SystemConfig

__all__ = ["register"]


def _scenarios(
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON document", envvar="SCALING_LAB_JSON")
    ] = False,
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


def _kind_of(path: Path, data: dict[str, Any]) -> type[Scenario] | type[SystemConfig]:
    if path.parent.name == "systems":
        return SystemConfig
    if "traffic" not in data and ({"lambda", "dynamodb", "front_door", "sqs", "sdk"} & set(data)):
        return SystemConfig
    return Scenario


def _index_warnings(
    scenario: Scenario, path: Path, systems: list[tuple[Path, SystemConfig]]
) -> list[str]:
    lines: list[str] = []
    for sys_path, system in systems:
        for index, endpoints in undeclared_indexes(scenario, system).items():
            used_by = ", ".join(e.value for e in endpoints)
            who = f"endpoints {used_by} use" if len(endpoints) > 1 else f"endpoint {used_by} uses"
            lines.append(
                f"{path}: {who} the app's index {index!r}, which system "
                f"{system.name!r} ({sys_path}) does not declare in dynamodb.gsis: its capacity "
                "and per-key limits are left out of predictions"
            )
    return lines


def _system_file(ref: str, relative_to: Path | None = None) -> tuple[Path, SystemConfig]:
    path = find_system(ref, relative_to)
    return path, load_model(path, SystemConfig)


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
    problems: list[Problem] = []
    scenarios: list[tuple[Path, Scenario]] = []
    systems: list[tuple[Path, SystemConfig]] = []
    for path in files:
        try:
            if not path.is_file():
                raise InputError(f"{path}: file not found")
            data = read_yaml(path)  # read and parsed once
            model = _kind_of(path, data)
            loaded = model_from_data(data, str(path), model)
            label = "system" if model is SystemConfig else "scenario"
            if isinstance(loaded, SystemConfig):
                systems.append((path, loaded))
            elif isinstance(loaded, Scenario):
                scenarios.append((path, loaded))
            out.print(f"[green]ok[/green]  {path}  ({label})")
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        except InputError as exc:
            problems.append(Problem(str(path), "", str(exc).removeprefix(f"{path}: ")))
    warnings: list[str] = []
    chosen: list[tuple[Path, SystemConfig]] | None = None
    if system is not None:
        try:
            chosen = [_system_file(system)]
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            chosen = []
        except InputError as exc:
            problems.append(Problem("--system", "", str(exc)))
            chosen = []
    elif systems:
        chosen = systems
    for path, sc in scenarios:
        # the system the scenario names, resolved as predict and run resolve it
        try:
            own = [_system_file(sc.system, relative_to=path)]
        except ValidationFailed as exc:
            own = None
            if system is None:
                problems.extend(exc.problems)
            else:
                warnings.append(f"{path}: system {sc.system!r} is not valid (--system used)")
        except InputError as exc:
            own = None
            msg = f"system {sc.system!r}: {exc}"
            if system is None:
                problems.append(Problem(str(path), "system", msg))
            else:
                warnings.append(f"{path}: {msg} (--system {system} used instead)")
        against = chosen if chosen is not None else own
        if against is not None:
            warnings.extend(_index_warnings(sc, path, against))
    for w in warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    for p in problems:
        err.print(f"[red]error:[/red] {escape(str(p))}", highlight=False)
    if problems:
        err.print(f"{len(problems)} problem(s) in {len({p.source for p in problems})} file(s)")
        return ExitCode.INVALID_INPUT
    return ExitCode.OK


def _schema(
    kind: Annotated[str, typer.Argument(help="scenario | system | result")] = "scenario",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="write <kind>.schema.json here", envvar="SCALING_LAB_OUT"),
    ] = None,
) -> int:
    """Print the JSON Schema of scenario, system or result files (for editors)."""
    from scaling_lab.result.models import RunResult

    models: dict[str, Any] = {"scenario": Scenario, "system": SystemConfig, "result": RunResult}
    if kind not in models:
        raise InputError(f"schema: unknown kind {kind!r}; expected scenario, system or result")
    schema = models[kind].model_json_schema(by_alias=True)
    text = json.dumps(schema, indent=2)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
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
    from scaling_lab.report.terminal import render_summary
    from scaling_lab.store import resolve_result

    res = resolve_result(result)
    if as_json:
        out.print_json(res.summary.model_dump_json(exclude={"endpoints": {"__all__": {"hdr"}}}))
    else:
        out.print(render_summary(res))
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("scenarios")(_scenarios)
    app.command("validate")(_validate)
    app.command("schema")(_schema)
    app.command("show")(_show)
