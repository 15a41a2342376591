"""``predict``: run the model for a scenario and write a predicted result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli import results
from scaling_lab.cli.options import SetOpt, SystemOpt, opt
from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import writable_dir
from scaling_lab.scenario.limits import MAX_SEED

__all__ = ["register"]


def _predict(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    system: SystemOpt = None,
    overrides: SetOpt = None,
    seed: Annotated[
        int | None, opt("--seed", "random seed (default: the scenario's)", min=0, max=MAX_SEED)
    ] = None,
    runs: Annotated[
        int,
        opt("--runs", "replications (seeds seed..seed+N-1); mean and 95 % CI", min=1, max=1000),
    ] = 1,
    mode: Annotated[
        str, opt("--mode", "fast (millisecond cohorts) | exact (a process per request)")
    ] = ("fast"),
    arrivals: Annotated[
        str | None,
        opt(
            "--arrivals",
            "poisson (production traffic) | even (what a k6 run sends); default: the "
            "scenario's traffic.arrivals, else poisson",
        ),
    ] = None,
    scale: Annotated[
        float,
        opt("--scale", "multiply every rate and capacity (durations kept)", min=1e-6, max=1000),
    ] = 1.0,
    out_dir: Annotated[Path, opt("--out", "folder for <run_id>.json")] = Path("runs"),
    as_json: Annotated[bool, opt("--json", "print the summary as JSON")] = False,
) -> int:
    """Predict whether the system survives the scenario (SimPy model of the AWS scaling rules);
    exit 99 if the scenario's thresholds or recovery SLO fail."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from scaling_lab.inputs import load_inputs
    from scaling_lab.model import predict

    writable_dir(out_dir, "--out")  # before the model runs, not after
    inputs = load_inputs(scenario, system, overrides or ())
    sc = inputs.scenario.scaled(scale) if scale != 1 else inputs.scenario
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
            inputs.system,
            seed=seed,
            runs=runs,
            mode=mode,
            arrivals=arrivals,
            progress=lambda f: bar.update(task, completed=f),
        )
    target = results.save(result, out_dir)
    results.record(result)
    if as_json:
        data = json.loads(
            result.summary.model_dump_json(exclude={"endpoints": {"__all__": {"hdr"}}})
        )
        if result.intervals:
            data["intervals"] = result.intervals
        out.print_json(json.dumps(data))
    else:
        results.show(result)
        if result.intervals:
            _print_intervals(result.intervals)
        out.print(f"result: {target}")
    err.print(f"wrote {target}")
    return results.finish(result, recovery=True)


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
