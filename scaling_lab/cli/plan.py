"""``plan``: the cheapest configuration that meets a scenario's SLOs (bisection on ranges,
every choice tried), on this machine's cores or a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scaling_lab.cli.options import SetOpt, SystemOpt, opt
from scaling_lab.cli.output import err, wide
from scaling_lab.cli.output import out as output
from scaling_lab.errors import ExitCode
from scaling_lab.formatting import fmt_or_dash
from scaling_lab.scenario.limits import MAX_SEED

if TYPE_CHECKING:
    from scaling_lab.plan import PlanOutcome

__all__ = ["register"]


def _plan(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    plan_file: Annotated[
        Path | None,
        opt(
            "--plan",
            "plan file (YAML): ranges, choices, seeds, probes, executor, set, grid; the "
            "command line replaces its single values and adds to its lists",
        ),
    ] = None,
    system: SystemOpt = None,
    overrides: SetOpt = None,
    ranges: Annotated[
        list[str] | None,
        opt(
            "--range",
            "path[,path]=lo:hi:step, bisected (more is never worse), e.g. "
            "dynamodb.write.provisioned,dynamodb.write.auto_scaling.min=8000:12000:50",
        ),
    ] = None,
    choices: Annotated[
        list[str] | None,
        opt("--choice", "path=a,b[,c]: every value tried, e.g. sdk.retry_mode=legacy,standard"),
    ] = None,
    seeds: Annotated[
        int | None,
        opt(
            "--seeds",
            "seeds per candidate (default 10); a candidate passes when all of them do",
            min=1,
            max=1000,
        ),
    ] = None,
    min_pass_probability: Annotated[
        float | None,
        opt(
            "--min-pass-probability",
            "a candidate passes when at least this share of its seeds do (default 1: every "
            "seed); the 95 % interval of each candidate's share is in the table",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    seed: Annotated[
        int | None, opt("--seed", "first seed (default: the scenario's)", min=0, max=MAX_SEED)
    ] = None,
    probes: Annotated[
        int | None,
        opt(
            "--probes",
            "values of a range tried at once per bisection step (default 2)",
            min=1,
            max=64,
        ),
    ] = None,
    executor: Annotated[
        str | None,
        opt("--executor", "local (every core, default) | local:N | serial | dask://HOST:PORT"),
    ] = None,
    mode: Annotated[str | None, opt("--mode", "model mode: fast (default) | exact")] = None,
    grid: Annotated[
        str | None,
        opt(
            "--grid",
            "A,B: the pass probability over every pair of two dimensions' values (a path or a "
            "unique part of one, e.g. reserved_concurrency,rps_per_environment), the others at "
            "the recommended values; written as pass_probability.png",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        opt("--out", "folder for plan.json, recommended.yaml and the plots (default plans/)"),
    ] = None,
) -> int:
    """Search the configuration space for the cheapest system that meets the scenario's
    thresholds and recovery SLO in every seed (or --min-pass-probability of them); exit 99
    when nothing in the ranges does."""
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.inputs import load_inputs
    from scaling_lab.plan import (
        PlanSettings,
        check_dimensions,
        dump_json,
        load_plan_file,
        make_executor,
        pass_grid,
        pick_grid,
        recommended_yaml,
        search,
        write_frontier_png,
        write_pass_probability_png,
    )

    settings = PlanSettings.merge(
        None if plan_file is None else load_plan_file(plan_file),
        plan_file,
        system=system,
        overrides=overrides or (),
        ranges=ranges or (),
        choices=choices or (),
        seeds=seeds,
        seed=seed,
        probes=probes,
        executor=executor,
        mode=mode,
        grid=grid,
        out=out_dir,
        min_pass_probability=min_pass_probability,
    )
    out = settings.out
    writable_dir(out, "--out")
    from_file = system is None and plan_file is not None and settings.system is not None
    system_from = f"{plan_file}: system" if from_file else "--system"
    inputs = load_inputs(scenario, settings.system, system_from=system_from)
    base = settings.base_system(inputs.system)
    check_dimensions(base, settings.dimensions)
    dims = [ld.dimension for ld in settings.dimensions]
    axes = None if settings.grid is None else pick_grid(dims, settings.grid, settings.grid_label)
    first = inputs.scenario.seed if settings.seed is None else settings.seed
    pool = make_executor(settings.executor)
    err.print(
        f"plan {inputs.scenario.name} on {inputs.system.name}: {len(dims)} dimension(s), "
        f"{settings.seeds} seeds a candidate, {pool.name}"
        + (
            f", passing at P(pass) >= {settings.min_pass_probability:g}"
            if settings.min_pass_probability < 1
            else ""
        )
    )
    cells = None
    try:
        outcome = search(
            inputs.scenario,
            base,
            dims,
            seeds=list(range(first, first + settings.seeds)),
            executor=pool,
            mode=settings.mode,
            probes=settings.probes,
            progress=lambda line: err.print(f"  {line}", highlight=False),
            base_name=inputs.system.name,
            min_pass=settings.min_pass_probability,
        )
        if axes is not None:
            cells = pass_grid(
                inputs.scenario,
                base,
                outcome,
                axes,
                executor=pool,
                mode=settings.mode,
                progress=lambda line: err.print(f"  grid {line}", highlight=False),
                label=settings.grid_label,
            )
    finally:
        pool.close()
    _print(outcome)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(dump_json(outcome, cells) + "\n", encoding="utf-8")
    write_frontier_png(outcome, out / "frontier.png")
    text = recommended_yaml(outcome, base)
    if text is not None:
        (out / "recommended.yaml").write_text(text, encoding="utf-8")
        output.print(f"recommended system: {out / 'recommended.yaml'}")
    output.print(f"plan: {out / 'plan.json'}, frontier plot: {out / 'frontier.png'}")
    if cells is not None:
        write_pass_probability_png(outcome, cells, out / "pass_probability.png")
        output.print(
            f"pass probability over {cells.x.name} x {cells.y.name}: {out / 'pass_probability.png'}"
        )
    for note in outcome.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    return ExitCode.OK if outcome.best is not None else ExitCode.THRESHOLDS_FAILED


def _print(outcome: PlanOutcome) -> None:
    table = Table(show_edge=False)
    for d in outcome.dimensions:  # the first path names the column (all share the value)
        more = f" (+{len(d.paths) - 1})" if len(d.paths) > 1 else ""
        table.add_column(d.paths[0] + more, justify="right")
    for col in ("pass", "95 % CI", "p95 ms", "first limit", "USD/month", "USD/1M events"):
        table.add_column(col, justify="left" if col == "first limit" else "right")
    for c in outcome.candidates:
        low, high = c.pass_interval()
        mark = "[bold green]" if c is outcome.best else ""
        table.add_row(
            *[f"{mark}{v}" for v in c.values],
            f"{c.passes}/{len(c.trials)}",
            f"{low:.0%}-{high:.0%}",
            fmt_or_dash(c.p95_ms, ".1f"),
            c.first_limit or "-",
            f"{c.monthly_usd:,.2f}",
            fmt_or_dash(c.per_million_usd, ",.4f"),
        )
    wide().print(table)
    output.print(
        f"{outcome.evaluated} candidates evaluated of {outcome.grid_size:,} in the grid, "
        f"{len(outcome.seeds)} seeds each ({outcome.executor})"
    )
    if outcome.best is None:
        output.print(f"[bold red]no configuration in the ranges meets the SLOs ({outcome.rule})[/]")
    else:
        shown = ", ".join(
            f"{d.name}={v}" for d, v in zip(outcome.dimensions, outcome.best.values, strict=True)
        )
        output.print(f"[bold green]cheapest passing:[/bold green] {shown or 'the base system'}")


def register(app: typer.Typer) -> None:
    app.command("plan")(_plan)
