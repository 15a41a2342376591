"""``compare`` and ``calibrate`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scaling_lab.cli.options import ForceOpt
from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError

if TYPE_CHECKING:
    from scaling_lab.result.models import RunResult

__all__ = ["register"]


def _compare(
    predicted: Annotated[
        str,
        typer.Argument(
            help="predicted: result file, run folder, run id or latest:<scenario>:predicted"
        ),
    ],
    observed: Annotated[
        str,
        typer.Argument(
            help="observed: result file, run folder, run id or latest[:scenario[:kind]]"
        ),
    ],
    tolerances: Annotated[
        Path | None,
        typer.Option(
            "--tolerances",
            help="YAML overriding the default tolerances",
            envvar="SCALING_LAB_TOLERANCES",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="write compare.md and overlay PNG plots here", envvar="SCALING_LAB_OUT"
        ),
    ] = None,
    all_lines: Annotated[
        bool, typer.Option("--all", help="show informational lines too", envvar="SCALING_LAB_ALL")
    ] = False,
    exclude_phase: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-phase",
            help="show but do not gate this phase (before | during | after | run), e.g. the "
            "one a calibration was fitted on; repeatable",
        ),
    ] = None,
) -> int:
    """Compare a predicted with an observed result; exit 99 when out of tolerance."""
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.compare import (
        compare,
        comparison_markdown,
        comparison_table,
        load_tolerances,
        plot_comparison,
    )
    from scaling_lab.store import resolve_result

    if out_dir is not None:
        writable_dir(out_dir, "--out")  # before the comparison is printed, not after
    phases = tuple(exclude_phase or ())
    for ph in phases:
        if ph not in ("before", "during", "after", "run"):
            raise InputError(f"--exclude-phase {ph!r}: expected before, during, after or run")
    pred, obs = resolve_result(predicted), resolve_result(observed)
    _check_pair(pred, obs)
    cmp = compare(pred, obs, load_tolerances(tolerances), exclude_phases=phases)
    for note in cmp.notes:
        err.print(f"[yellow]note:[/yellow] {note}")
    out.print(comparison_table(cmp, only_gated=not all_lines))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "compare.md").write_text(comparison_markdown(cmp), encoding="utf-8")
        plots = plot_comparison(cmp, out_dir)
        err.print(f"wrote {out_dir / 'compare.md'}" + "".join(f", {p}" for p in plots))
    verdict = "[bold green]PASS[/]" if cmp.passed else f"[bold red]FAIL[/] ({len(cmp.failed)})"
    out.print(f"verdict: {verdict}")
    return ExitCode.OK if cmp.passed else ExitCode.THRESHOLDS_FAILED


def _check_pair(predicted: RunResult, observed: RunResult) -> None:
    """A prediction first, then another run of the same scenario: swapped arguments, one run
    twice or two scenarios would be judged and pass or fail for nothing."""
    from scaling_lab.result.models import ResultKind

    if predicted.run_id == observed.run_id:
        raise InputError(f"compare: {predicted.run_id} given twice; compare two runs")
    if predicted.kind is not ResultKind.PREDICTED:
        swapped = " (swapped?)" if observed.kind is ResultKind.PREDICTED else ""
        raise InputError(
            f"compare: the first result, {predicted.run_id}, is {predicted.kind.value}; "
            f"expected a prediction first, then the observation{swapped}"
        )
    if predicted.scenario.name != observed.scenario.name:
        raise InputError(
            f"compare: the prediction is of scenario {predicted.scenario.name!r}, "
            f"{observed.run_id} of {observed.scenario.name!r}"
        )


def _calibrate(
    observed: Annotated[Path, typer.Argument(help="observed result JSON")],
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            help="system file to start from (default: the result's)",
            envvar="SCALING_LAB_SYSTEM",
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="new system file to write", envvar="SCALING_LAB_OUTPUT"
        ),
    ] = Path("calibrated.yaml"),
    force: ForceOpt = False,
) -> int:
    """Fit service times (and auto-scaling delay) from an observed run into a new system file
    (never over a file it did not write, or over the system file it read, without --force)."""
    from scaling_lab.cli.paths import output_file
    from scaling_lab.compare.calibrate import HEADER, calibrate, write_system_file
    from scaling_lab.result.io import load_result
    from scaling_lab.result.models import ResultKind
    from scaling_lab.system import load_system
    from scaling_lab.system.loader import find_system

    system_file = find_system(system) if system else None
    inputs = [("observed result", observed)]
    if system_file is not None:
        inputs.append(("--system file", system_file))
    output_file(output, "--output", force=force, written_by=HEADER, inputs=inputs)
    res = load_result(observed)
    if res.kind is not ResultKind.OBSERVED:
        raise InputError(f"{observed}: calibrate needs an observed result, got {res.kind.value}")
    base = load_system(system_file) if system_file else res.system
    cal = calibrate(res, base)
    path = write_system_file(cal, output, f"run {res.run_id}")
    for k, v in cal.fitted.items():
        out.print(f"[green]fitted[/green] {k}: {v}")
    for k, v in cal.kept.items():
        out.print(f"[dim]kept[/dim]   {k}: {v}")
    err.print(f"wrote {path}")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("compare")(_compare)
    app.command("calibrate")(_calibrate)
