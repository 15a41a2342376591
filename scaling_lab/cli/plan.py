"""``plan``: the cheapest configuration that meets a scenario's SLOs (bisection on ranges,
every choice tried), on this machine's cores or a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scaling_lab.cli.options import SetOpt, SystemOpt, opt
from scaling_lab.cli.output import err, out, wide
from scaling_lab.errors import ExitCode
from scaling_lab.formatting import fmt_or_dash
from scaling_lab.scenario.limits import MAX_SEED

if TYPE_CHECKING:
    from scaling_lab.plan import PlanOutcome

__all__ = ["register"]


def _plan(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
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
        int,
        opt(
            "--seeds",
            "seeds per candidate; a candidate passes when all of them do",
            min=1,
            max=1000,
        ),
    ] = 10,
    seed: Annotated[
        int | None, opt("--seed", "first seed (default: the scenario's)", min=0, max=MAX_SEED)
    ] = None,
    probes: Annotated[
        int, opt("--probes", "values of a range tried at once per bisection step", min=1, max=64)
    ] = 2,
    executor: Annotated[
        str | None,
        opt("--executor", "local (every core, default) | local:N | serial | dask://HOST:PORT"),
    ] = None,
    mode: Annotated[str, opt("--mode", "model mode: fast | exact")] = "fast",
    out_dir: Annotated[
        Path, opt("--out", "folder for plan.json, recommended.yaml and frontier.png")
    ] = Path("plans"),
) -> int:
    """Search the configuration space for the cheapest system that meets the scenario's
    thresholds and recovery SLO in every seed; exit 99 when nothing in the ranges does."""
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.inputs import load_inputs
    from scaling_lab.plan import (
        dump_json,
        make_executor,
        parse_choice,
        parse_range,
        recommended_yaml,
        search,
        write_frontier_png,
    )

    dims = [parse_range(r) for r in ranges or ()] + [parse_choice(c) for c in choices or ()]
    writable_dir(out_dir, "--out")
    inputs = load_inputs(scenario, system, overrides or ())
    first = inputs.scenario.seed if seed is None else seed
    pool = make_executor(executor)
    err.print(
        f"plan {inputs.scenario.name} on {inputs.system.name}: {len(dims)} dimension(s), "
        f"{seeds} seeds a candidate, {pool.name}"
    )
    try:
        outcome = search(
            inputs.scenario,
            inputs.system,
            dims,
            seeds=list(range(first, first + seeds)),
            executor=pool,
            mode=mode,
            probes=probes,
            progress=lambda line: err.print(f"  {line}", highlight=False),
            base_name=inputs.system.name,
        )
    finally:
        pool.close()
    _print(outcome)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(dump_json(outcome) + "\n", encoding="utf-8")
    write_frontier_png(outcome, out_dir / "frontier.png")
    text = recommended_yaml(outcome, inputs.system)
    if text is not None:
        (out_dir / "recommended.yaml").write_text(text, encoding="utf-8")
        out.print(f"recommended system: {out_dir / 'recommended.yaml'}")
    out.print(f"plan: {out_dir / 'plan.json'}, frontier plot: {out_dir / 'frontier.png'}")
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
    out.print(
        f"{outcome.evaluated} candidates evaluated of {outcome.grid_size:,} in the grid, "
        f"{len(outcome.seeds)} seeds each ({outcome.executor})"
    )
    if outcome.best is None:
        out.print("[bold red]no configuration in the ranges meets the SLOs in every seed[/]")
    else:
        shown = ", ".join(
            f"{d.name}={v}" for d, v in zip(outcome.dimensions, outcome.best.values, strict=True)
        )
        out.print(f"[bold green]cheapest passing:[/bold green] {shown or 'the base system'}")


def register(app: typer.Typer) -> None:
    app.command("plan")(_plan)
