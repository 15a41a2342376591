"""``run``: replay a scenario with k6 against the local stack or a staging URL."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scaling_lab.cli import results
from scaling_lab.cli.options import (
    AllowProductionOpt,
    ApiKeyOpt,
    ForceOpt,
    K6Opt,
    KeepSamplesOpt,
    MaxRateOpt,
    MaxVusOpt,
    PreflightOpt,
    RemoteK6Opt,
    RunnerHostOpt,
    RunnersOpt,
    SetOpt,
    SshOpt,
    SystemOpt,
    VusOpt,
    YesOpt,
    check_backend,
    opt,
)
from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import output_file, writable_dir
from scaling_lab.errors import ExitCode, InputError

if TYPE_CHECKING:
    from scaling_lab.load.plan import LoadPlan

__all__ = ["authorize_url_run", "register"]


def _run(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    target: Annotated[str, opt("--target", "'local' (start the local stack) or a base URL")] = (
        "local"
    ),
    scale: Annotated[
        str,
        opt(
            "--scale",
            "multiply every rate (and the local stack's capacities); 'auto' fits the peak to "
            "what this machine sustains (local target)",
        ),
    ] = "1",
    system: SystemOpt = None,
    overrides: SetOpt = None,
    api_key: ApiKeyOpt = None,
    out_dir: Annotated[
        Path, opt("--out", "folder for <run_id>.json and <run_id>/ (script, k6 log)")
    ] = Path("runs"),
    backend: Annotated[
        str,
        opt(
            "--backend",
            "local stack backend: embedded | localstack | auto",
            callback=check_backend,
        ),
    ] = ("embedded"),
    max_rate: MaxRateOpt = None,
    yes: YesOpt = False,
    allow_production: AllowProductionOpt = False,
    dry_run: Annotated[bool, opt("--dry-run", "print the plan and the k6 script; send nothing")] = (
        False
    ),
    live: Annotated[bool, opt("--live/--no-live", "live view while k6 runs")] = True,
    k6: K6Opt = None,
    vus: VusOpt = None,
    max_vus: MaxVusOpt = None,
    runners: RunnersOpt = 1,
    runner_host: RunnerHostOpt = None,
    ssh: SshOpt = "ssh",
    remote_k6: RemoteK6Opt = "k6",
    keep_samples: KeepSamplesOpt = False,
    csv_path: Annotated[
        Path | None,
        opt("--csv", "also write the per-second series as CSV (Locust's stats-history columns)"),
    ] = None,
    k6_summary: Annotated[
        bool,
        opt("--k6-summary/--no-k6-summary", "print a k6-style end-of-run summary (of all runners)"),
    ] = True,
    preflight: PreflightOpt = True,
    force: ForceOpt = False,
) -> int:
    """Replay a scenario with k6 (local stack or URL); exit 99 if its thresholds fail."""
    from scaling_lab.inputs import load_inputs
    from scaling_lab.load.plan import LOCAL, check_plan
    from scaling_lab.load.runner import prepare, run_load
    from scaling_lab.load.scale import local_budget, resolve_scale

    if not dry_run:
        writable_dir(out_dir, "--out")  # before anything starts, not after the run
        if csv_path is not None:
            from scaling_lab.report.series_csv import HEADER_MARKER

            output_file(csv_path, "--csv", force=force, written_by=HEADER_MARKER)
    if scale == "auto" and target != "local":
        raise InputError("--scale auto: only for --target local; give a number for a URL")
    resolve_scale(scale, 0.0, 0.0)  # a bad number is refused before anything is read
    inputs = load_inputs(scenario, system, overrides or ())
    sc, sysconf = inputs.scenario, inputs.system
    factor = resolve_scale(scale, sc.peak_rate, local_budget(scale, target, backend, err))
    if scale == "auto":
        err.print(f"--scale auto: x{factor:g} of {sc.peak_rate:,.0f} req/s peak")
    _, _, plan, script = prepare(
        sc, sysconf, target=target, scale=factor, preallocated_vus=vus, max_vus=max_vus
    )
    for line in plan.lines():
        err.print(f"  {line}")
    if dry_run:  # refused before the script is printed, as a run would be
        check_plan(plan, max_rate=max_rate, confirmed=True, allow_production=allow_production)
        out.print(script, markup=False, highlight=False, end="")
        err.print("dry run: nothing sent")
        return ExitCode.OK
    if plan.target != LOCAL:
        api_key = authorize_url_run(
            plan,
            api_key=api_key,
            max_rate=max_rate,
            yes=yes,
            allow_production=allow_production,
            preflight=preflight,
        )
        yes = True  # authorized (by --yes, or at the prompt)
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
    results.record(run.result)
    if k6_summary:
        from scaling_lab.report.k6_summary import k6_style_summary

        out.print(k6_style_summary(run.result), markup=False, highlight=False)
    results.show(run.result)
    if csv_path is not None:
        from scaling_lab.report.series_csv import write_series_csv

        out.print(f"per-second CSV: {write_series_csv(run.result, csv_path)}")
    results.notes(run.result)
    out.print(f"result: {run.path}")
    out.print(f"k6 script and log: {run.artifacts}")
    return results.finish(run.result)


def authorize_url_run(
    plan: LoadPlan,
    *,
    api_key: str | None,
    max_rate: float | None,
    yes: bool,
    allow_production: bool,
    preflight: bool,
) -> str:
    """``authorize`` with the terminal: the pre-flight lines on stderr, the confirmation
    asked there when interactive. Returns the API key."""
    from scaling_lab.load.plan import authorize

    return authorize(
        plan,
        api_key=api_key,
        max_rate=max_rate,
        yes=yes,
        interactive=sys.stdin.isatty() and err.is_terminal,
        allow_production=allow_production,
        preflight=preflight,
        confirm=lambda q: typer.confirm(q, default=False, err=True),
        report=lambda line: err.print(f"  {line}"),
    )


def register(app: typer.Typer) -> None:
    app.command("run")(_run)
