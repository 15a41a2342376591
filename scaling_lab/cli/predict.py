"""``predict``: run the model for a scenario and write a predicted result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import writable_dir
from scaling_lab.errors import ExitCode, InputError
from scaling_lab.scenario.limits import MAX_SEED

__all__ = ["register"]


def _predict(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    system: Annotated[
        str | None,
        typer.Option(
            "--system", help="system file (default: the scenario's)", envvar="SCALING_LAB_SYSTEM"
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            max=MAX_SEED,
            help="random seed (default: the scenario's)",
            envvar="SCALING_LAB_SEED",
        ),
    ] = None,
    runs: Annotated[
        int,
        typer.Option(
            "--runs",
            help="replications (seeds seed..seed+N-1); mean and 95 % CI",
            envvar="SCALING_LAB_RUNS",
        ),
    ] = 1,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="fast (millisecond cohorts) | exact (a process per request)",
            envvar="SCALING_LAB_MODE",
        ),
    ] = "fast",
    arrivals: Annotated[
        str | None,
        typer.Option(
            "--arrivals",
            help="poisson (production traffic) | even (what a k6 run sends); default: the "
            "scenario's traffic.arrivals, else poisson",
            envvar="SCALING_LAB_ARRIVALS",
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            help="multiply every rate and capacity (durations kept)",
            envvar="SCALING_LAB_SCALE",
        ),
    ] = 1.0,
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="folder for <run_id>.json", envvar="SCALING_LAB_OUT"),
    ] = Path("runs"),
    as_json: Annotated[
        bool,
        typer.Option("--json", help="print the summary as JSON", envvar="SCALING_LAB_JSON"),
    ] = False,
) -> int:
    """Predict whether the system survives the scenario (SimPy model of the AWS scaling rules);
    exit 99 if the scenario's thresholds or recovery SLO fail."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from scaling_lab.model import predict
    from scaling_lab.report.terminal import render_summary
    from scaling_lab.result.io import save_result
    from scaling_lab.scenario.loader import find_scenario, load_scenario
    from scaling_lab.system import load_system

    if mode not in ("fast", "exact"):
        raise InputError(f"--mode: expected 'fast' or 'exact', got {mode!r}")
    if arrivals is not None and arrivals not in ("poisson", "even"):
        raise InputError(f"--arrivals: expected 'poisson' or 'even', got {arrivals!r}")
    if runs < 1 or runs > 1000:
        raise InputError(f"--runs: expected 1..1000, got {runs}")
    if not 0 < scale <= 1000:
        raise InputError(f"--scale: must be > 0 and <= 1000, got {scale:g}")
    writable_dir(out_dir, "--out")  # before the model runs, not after
    path = find_scenario(scenario)
    sc = load_scenario(path)
    sysconf = load_system(system or sc.system, relative_to=path)
    if scale != 1:
        sc = sc.scaled(scale)
    if (seed if seed is not None else sc.seed) + runs - 1 > MAX_SEED:
        raise InputError(f"--runs: seeds seed..seed+{runs - 1} go past {MAX_SEED}")
    label = (
        f"predict {sc.name} ({mode}, {sc.total_requests():,.0f} requests"
        f"{f' x {runs} runs' if runs > 1 else ''})"
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=1.0)
        result = predict(
            sc,
            sysconf,
            seed=seed,
            runs=runs,
            mode=mode,
            arrivals=arrivals,
            progress=lambda f: bar.update(task, completed=f),
        )
    target = out_dir / f"{result.run_id}.json"
    try:
        save_result(result, target)
    except OSError as exc:
        raise InputError(f"--out: cannot write {target}: {exc}") from None
    from scaling_lab.errors import ScalingLabError
    from scaling_lab.store import record_result

    try:
        record_result(result)  # run history (SCALING_LAB_NO_HISTORY=1 turns it off)
    except ScalingLabError as exc:
        err.print(f"[yellow]note:[/yellow] not recorded in the run history: {exc}")
    if as_json:
        data = result.summary.model_dump_json(exclude={"endpoints": {"__all__": {"hdr"}}})
        if result.intervals:
            import json

            merged = json.loads(data)
            merged["intervals"] = result.intervals
            data = json.dumps(merged)
        out.print_json(data)
    else:
        out.print(render_summary(result))
        if result.intervals:
            _print_intervals(result.intervals)
        out.print(f"result: {target}")
    err.print(f"wrote {target}")
    s = result.summary
    failed = s.thresholds_passed is False or (s.recovery is not None and not s.recovery.recovered)
    if failed:
        err.print(
            "[red]thresholds failed[/red]"
            if s.thresholds_passed is False
            else "[red]recovery SLO failed[/red]"
        )
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


def _print_intervals(intervals: dict[str, dict[str, float]]) -> None:
    from rich.table import Table

    table = Table(
        title="Across replications (mean, 95 % CI)", title_justify="left", show_edge=False
    )
    for col in ("figure", "mean", "95 % CI"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for name, iv in intervals.items():
        table.add_row(name, f"{iv['mean']:,.4g}", f"{iv['low']:,.4g} .. {iv['high']:,.4g}")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("predict")(_predict)
