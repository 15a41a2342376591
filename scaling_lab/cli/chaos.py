"""``chaos run`` and ``chaos validate``: chaos experiments (steady-state hypothesis, timed
faults under load, stop conditions, rollbacks, journal)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scaling_lab.cli import results
from scaling_lab.cli.options import (
    AllowProductionOpt,
    ApiKeyOpt,
    JsonOpt,
    K6Opt,
    MaxRateOpt,
    PreflightOpt,
    YesOpt,
    check_backend,
    opt,
)
from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import writable_dir
from scaling_lab.errors import ExitCode, InputError, ValidationFailed
from scaling_lab.scenario.limits import MAX_SEED

if TYPE_CHECKING:
    from scaling_lab.chaos.fis import FisPlan
    from scaling_lab.chaos.loader import LoadedExperiment
    from scaling_lab.chaos.outcome import ChaosOutcome

__all__ = ["register"]

chaos_app = typer.Typer(
    help="Chaos experiments: a steady-state hypothesis, faults under load, stop conditions, "
    "rollbacks and a Chaos Toolkit journal. Exit 98 when the hypothesis does not hold.",
    no_args_is_help=True,
)


def _validate(
    files: Annotated[list[Path], typer.Argument(help="experiment YAML files")],
) -> int:
    """Validate experiment files with their scenario and system; every problem on one line
    naming the file and the field."""
    from scaling_lab.chaos.loader import load_experiment

    failed = 0
    for path in files:
        try:
            loaded = load_experiment(path)
        except ValidationFailed as exc:
            failed += 1
            for p in exc.problems:
                err.print(f"[red]error:[/red] {escape(str(p))}", highlight=False)
        except InputError as exc:
            failed += 1
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        else:
            out.print(
                f"[green]ok[/green]  {path}  (experiment: {loaded.experiment.title}; "
                f"scenario {loaded.scenario.name})"
            )
    if failed:
        err.print(f"{failed} of {len(files)} file(s) failed")
        return ExitCode.INVALID_INPUT
    return ExitCode.OK


def _run(
    experiment: Annotated[str, typer.Argument(help="experiment name or file")],
    target: Annotated[
        str,
        opt(
            "--target",
            "model, local (k6 on the local stack, faults through the governor), or a staging "
            "URL (k6 against it, faults through AWS FIS; --dry-run prints the template)",
        ),
    ] = "model",
    runs: Annotated[
        int, opt("--runs", "replications (seeds seed..seed+N-1); 95 % intervals", min=1, max=1000)
    ] = 1,
    seed: Annotated[
        int | None,
        opt(
            "--seed",
            "random seed (default: the experiment's, else the scenario's)",
            min=0,
            max=MAX_SEED,
        ),
    ] = None,
    mode: Annotated[str, opt("--mode", "model mode: fast | exact")] = "fast",
    out_dir: Annotated[Path, opt("--out", "parent folder of the run folder")] = Path("runs"),
    dry_run: Annotated[
        bool,
        opt("--dry-run", "URL target: print the FIS template, runbooks and alarms; create nothing"),
    ] = False,
    role_arn: Annotated[
        str | None, opt("--fis-role-arn", "IAM role FIS assumes (URL target)")
    ] = None,
    region: Annotated[
        str | None, opt("--region", "AWS Region (default: AWS_REGION or AWS_DEFAULT_REGION)")
    ] = None,
    function_arn: Annotated[
        str | None, opt("--function-arn", "the API's Lambda function (FIS Lambda actions)")
    ] = None,
    subnet_arns: Annotated[
        list[str] | None,
        opt("--subnet-arn", "the function's VPC subnets (cutting DynamoDB off; repeatable)"),
    ] = None,
    automation_role_arn: Annotated[
        str | None,
        opt(
            "--automation-role-arn",
            "URL target: the IAM role SSM Automation assumes for the runbook faults (default: "
            "--fis-role-arn)",
        ),
    ] = None,
    api_key: ApiKeyOpt = None,
    yes: YesOpt = False,
    allow_production: AllowProductionOpt = False,
    max_rate: MaxRateOpt = None,
    preflight: PreflightOpt = True,
    scale: Annotated[
        str,
        opt(
            "--scale",
            "multiply every rate and capacity: a number, or auto (local: what this machine "
            "sustains, as run; model: 1)",
        ),
    ] = "auto",
    backend: Annotated[
        str,
        opt("--backend", "local target: embedded | localstack | auto", callback=check_backend),
    ] = "embedded",
    arrivals: Annotated[
        str | None,
        opt(
            "--arrivals",
            "model target: poisson (production traffic) | even (what a k6 run sends: use it "
            "to compare with a local or staging run); default: the scenario's, else poisson",
        ),
    ] = None,
    k6: K6Opt = None,
    live: Annotated[bool, opt("--live/--no-live", "local target: live view while k6 runs")] = True,
    as_json: JsonOpt = False,
) -> int:
    """Run an experiment. --target model: predict whether the hypothesis holds before, during
    and after each fault (intervals over --runs), write the result and journal.json; exit 98
    when it does not hold."""
    from scaling_lab.chaos.loader import load_experiment
    from scaling_lab.load.plan import normalize_target
    from scaling_lab.load.scale import local_budget, resolve_scale

    if target == "model":
        if dry_run:
            raise InputError("--dry-run: the model target creates nothing; drop --dry-run")
        writable_dir(out_dir, "--out")
        factor = 1.0 if scale == "auto" else resolve_scale(scale, 0.0, 0.0)
        loaded = load_experiment(experiment)
        if factor != 1:  # as predict --scale: the system is scaled with the scenario
            loaded = dataclasses.replace(loaded, scenario=loaded.scenario.scaled(factor))
        return _on_model(
            loaded,
            runs=runs,
            seed=seed,
            mode=mode,
            arrivals=arrivals,
            out_dir=out_dir,
            as_json=as_json,
        )
    if target == "local":
        if dry_run:
            raise InputError("--dry-run: the local target has no plan to print; drop --dry-run")
        if runs != 1:
            raise InputError("--runs: the local target runs once; drop --runs")
        resolve_scale(scale, 0.0, 0.0)  # a bad number is refused before anything is read
        writable_dir(out_dir, "--out")
        loaded = load_experiment(experiment)
        peak = loaded.scenario.peak_rate
        factor = resolve_scale(scale, peak, local_budget(scale, "local", backend, err))
        if scale == "auto":
            err.print(f"--scale auto: x{factor:g} of {peak:,.0f} req/s peak")
        return _on_local(
            loaded,
            scale=factor,
            backend=backend,
            k6=k6,
            live=live,
            out_dir=out_dir,
            as_json=as_json,
        )
    if target.startswith(("http://", "https://")):
        normalize_target(target)  # the port and form, before a dry run prints its plan
        if runs != 1:
            raise InputError("--runs: a staging run runs once; drop --runs")
        factor = 1.0 if scale == "auto" else resolve_scale(scale, 0.0, 0.0)
        if not dry_run:
            writable_dir(out_dir, "--out")
        loaded = load_experiment(experiment)
        plan, fis_region = _fis_plan(
            loaded, role_arn, automation_role_arn, region, function_arn, subnet_arns or []
        )
        for note in plan.notes:
            err.print(f"[yellow]note:[/yellow] {escape(note)}")
        if dry_run:
            out.print_json(json.dumps(plan.show()))
            err.print("dry run: nothing created")
            return ExitCode.OK
        return _on_url(
            loaded,
            plan,
            fis_region,
            url=target,
            scale=factor,
            api_key=api_key,
            yes=yes,
            max_rate=max_rate,
            allow_production=allow_production,
            preflight=preflight,
            k6=k6,
            live=live,
            out_dir=out_dir,
            as_json=as_json,
        )
    raise InputError(f"--target {target!r}: expected 'model', 'local', or a staging URL")


def _on_model(
    loaded: LoadedExperiment,
    *,
    runs: int,
    seed: int | None,
    mode: str,
    arrivals: str | None,
    out_dir: Path,
    as_json: bool,
) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from scaling_lab.chaos.model_target import run_on_model

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"chaos {loaded.name} (model, {runs} run(s))", total=1.0)
        outcome = run_on_model(
            loaded,
            runs=runs,
            seed=seed,
            mode=mode,
            arrivals=arrivals,
            progress=lambda f: bar.update(task, completed=f),
        )
    folder = out_dir / f"chaos-{loaded.name}-{outcome.result.run_id}"
    result_path = results.save(outcome.result, writable_dir(folder, "--out", create=True))
    return _report(outcome, folder, result_path, as_json)


def _on_local(
    loaded: LoadedExperiment,
    *,
    scale: float,
    backend: str,
    k6: str | None,
    live: bool,
    out_dir: Path,
    as_json: bool,
) -> int:
    from scaling_lab.chaos.local_target import run_on_local

    return _in_run_folder(
        loaded,
        out_dir,
        as_json,
        lambda work: run_on_local(
            loaded,
            scale=scale,
            out_dir=work,
            backend=backend,
            k6_path=k6,
            live=live and err.is_terminal,
            console=err,
        ),
    )


def _in_run_folder(
    loaded: LoadedExperiment,
    out_dir: Path,
    as_json: bool,
    run: Callable[[Path], ChaosOutcome],
) -> int:
    """Run a load of the experiment into a work folder, then name the folder after the run
    (chaos-<experiment>-<run_id>, as the model target's), record and report it."""
    import dataclasses
    import uuid

    # The run id is the load's, known once it ran: the folder takes its name then.
    work = writable_dir(
        out_dir / f".chaos-{loaded.name}-{uuid.uuid4().hex[:8]}", "--out", create=True
    )
    outcome = run(work)
    folder = out_dir / f"chaos-{loaded.name}-{outcome.result.run_id}"
    try:
        work.rename(folder)
    except OSError as exc:
        raise InputError(f"--out: cannot move {work} to {folder}: {exc.strerror or exc}") from None
    result_path = folder / f"{outcome.result.run_id}.json"
    if outcome.local is not None:
        local = dataclasses.replace(outcome.local, result_path=str(result_path))
        outcome = dataclasses.replace(outcome, local=local)
    results.record(outcome.result)
    return _report(outcome, folder, result_path, as_json)


def _report(outcome: ChaosOutcome, folder: Path, result_path: Path, as_json: bool) -> int:
    from scaling_lab.chaos.journal import build_journal, write_journal

    journal = build_journal(outcome)
    journal_path = write_journal(journal, folder / "journal.json")
    if as_json:
        out.print_json(json.dumps(journal))
    else:
        _print(outcome)
        out.print(f"run folder: {folder}  ({result_path.name}, journal.json)")
    for name in outcome.unmodelled:
        err.print(
            f"[yellow]note:[/yellow] {escape(name)}: the model does not model this fault; "
            "the prediction is of the load without it"
        )
    err.print(f"wrote {journal_path}")
    if not outcome.held:
        err.print(f"[red]hypothesis did not hold[/red] (journal status {outcome.status.value})")
        return ExitCode.HYPOTHESIS_DEVIATED
    return ExitCode.OK


def _print(outcome: ChaosOutcome) -> None:
    from scaling_lab.chaos.outcome import Verdict

    n = len(outcome.replications)
    table = Table(
        title=f"{outcome.loaded.experiment.title}  "
        + {
            "model": f"(model, {n} replication(s))",
            "local": "(local stack)",
            "url": "(staging, faults through AWS FIS)",
        }.get(outcome.target, f"({outcome.target})"),
        title_justify="left",
        show_edge=False,
    )
    for col in ("phase", "probe", "tolerance", "verdict", "value", "past bound", "first dev. s"):
        table.add_column(col, justify="left" if col in ("phase", "probe", "tolerance") else "right")
    for p in outcome.probes:
        verdict = p.verdict.value
        if p.verdict is Verdict.DEVIATED and n > 1:
            verdict = f"deviated {p.deviated_in}/{n}"
        colour = {"held": "green", "deviated": "red"}.get(p.verdict.value, "yellow")
        table.add_row(
            p.phase.name,
            p.probe,
            p.tolerance,
            f"[{colour}]{verdict}[/{colour}]",
            p.observed.show() if p.observed else "-",
            p.excess.show("+,.4g") if p.excess and p.verdict is Verdict.DEVIATED else "-",
            p.first_deviation_s.show(",.0f") if p.first_deviation_s else "-",
        )
    out.print(table)
    local = outcome.local
    if local is not None:
        if local.stopped_by is not None:
            out.print(
                f"[red]aborted[/red] by stop condition {escape(local.stopped_by)} at "
                f"{local.ended_s:,.0f} s of {local.planned_s:,.0f} s"
            )
        for r in local.rollbacks:
            state = "succeeded" if r.succeeded else f"[red]failed[/red]: {escape(str(r.error))}"
            out.print(f"rollback {escape(r.name)}: {state}")
        for line in local.audit:
            out.print(escape(line))
    elif outcome.aborted_in:
        a = outcome.abort_s
        out.print(
            f"[red]aborted[/red] by a stop condition in {outcome.aborted_in} of {n} "
            f"replication(s), at {a.show(',.0f') if a else '?'} s"
        )
    out.print(f"status: {outcome.status.value}; deviated: {str(outcome.deviated).lower()}")


def _fis_plan(
    loaded: LoadedExperiment,
    role_arn: str | None,
    automation_role_arn: str | None,
    region: str | None,
    function_arn: str | None,
    subnet_arns: list[str],
) -> tuple[FisPlan, str]:
    from scaling_lab.chaos.fis import FisOptions, fis_plan

    if role_arn is None:
        raise InputError("--fis-role-arn: required for the FIS template (the role FIS assumes)")
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise InputError("--region: required (or set AWS_REGION)")
    options = FisOptions(
        role_arn,
        region,
        function_arn,
        tuple(subnet_arns),
        automation_role_arn=automation_role_arn,
    )
    return fis_plan(loaded, options), region


def _on_url(
    loaded: LoadedExperiment,
    plan: FisPlan,
    region: str,
    *,
    url: str,
    scale: float,
    api_key: str | None,
    yes: bool,
    max_rate: float | None,
    allow_production: bool,
    preflight: bool,
    k6: str | None,
    live: bool,
    out_dir: Path,
    as_json: bool,
) -> int:
    import boto3

    from scaling_lab.chaos.url_target import run_on_url
    from scaling_lab.cli.run import authorize_url_run
    from scaling_lab.load.runner import prepare

    _, _, load_plan, _ = prepare(loaded.scenario, loaded.system, target=url, scale=scale)
    for line in load_plan.lines():
        err.print(f"  {line}")
    key = authorize_url_run(
        load_plan,
        api_key=api_key,
        max_rate=max_rate,
        yes=yes,
        allow_production=allow_production,
        preflight=preflight,
    )
    session = boto3.Session(region_name=region)
    return _in_run_folder(
        loaded,
        out_dir,
        as_json,
        lambda work: run_on_url(
            loaded,
            plan,
            session,
            url=url,
            api_key=key,
            scale=scale,
            out_dir=work,
            k6_path=k6,
            live=live and err.is_terminal,
            console=err,
            max_rate=max_rate,
            allow_production=allow_production,
        ),
    )


def register(app: typer.Typer) -> None:
    from scaling_lab.cli.chaos_compare import compare_command

    chaos_app.command("run")(_run)
    chaos_app.command("validate")(_validate)
    chaos_app.command("compare")(compare_command)
    app.add_typer(chaos_app, name="chaos")
