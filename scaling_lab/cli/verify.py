"""``verify``: predict -> run -> observe -> compare -> short report, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.options import SetOpt, SystemOpt, check_backend
from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode
from scaling_lab.scenario.limits import MAX_SEED

__all__ = ["register"]


def _verify(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    target: Annotated[
        str,
        typer.Option(
            "--target", help="'local' (default) or a staging URL", envvar="SCALING_LAB_TARGET"
        ),
    ] = "local",
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help="rate/capacity factor, or 'auto' (local default)",
            envvar="SCALING_LAB_SCALE",
        ),
    ] = "auto",
    system: SystemOpt = None,
    overrides: SetOpt = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, max=MAX_SEED, envvar="SCALING_LAB_SEED")
    ] = None,
    runs: Annotated[
        int,
        typer.Option(
            "--runs",
            min=1,
            max=1000,
            help="model replications (seeds seed..seed+N-1): the observation is judged against "
            "their prediction interval; 1 = fixed tolerances",
            envvar="SCALING_LAB_RUNS",
        ),
    ] = 10,
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="parent folder of the run folder", envvar="SCALING_LAB_OUT"),
    ] = Path("runs"),
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="auto | embedded | localstack",
            envvar="SCALING_LAB_BACKEND",
            callback=check_backend,
        ),
    ] = "embedded",
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="staging API key (never stored)", envvar="SCALING_LAB_API_KEY"
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="confirm a non-loopback target", envvar="SCALING_LAB_YES")
    ] = False,
    tolerances: Annotated[
        Path | None, typer.Option("--tolerances", envvar="SCALING_LAB_TOLERANCES")
    ] = None,
    calibrate_pass: Annotated[
        bool | None,
        typer.Option(
            "--calibrate/--no-calibrate",
            help="after the first comparison, fit the model from the observed run's "
            "pre-spike phase, predict again and compare again (default: on for "
            "local targets)",
            envvar="SCALING_LAB_CALIBRATE",
        ),
    ] = None,
    gate_thresholds: Annotated[
        bool,
        typer.Option(
            "--gate-thresholds",
            help="also exit 99 when the observed run fails its thresholds",
            envvar="SCALING_LAB_GATE_THRESHOLDS",
        ),
    ] = False,
) -> int:
    """Predict a scenario, run it for real, compare the two and write a short report."""
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.verify import VerifyOptions, verify
    from scaling_lab.verify.render import ConsoleListener, verdict_table

    writable_dir(out_dir, "--out")  # before the prediction and the capacity probe
    options = VerifyOptions(
        target=target,
        scale=scale,
        system=system,
        overrides=tuple(overrides or ()),
        seed=seed,
        runs=runs,
        out_dir=out_dir,
        backend=backend,
        api_key=api_key,
        yes=yes,
        tolerances=tolerances,
        calibrate=calibrate_pass,
    )
    outcome = verify(scenario, options, ConsoleListener(out, err))
    out.print(verdict_table(outcome))
    out.print(
        f"run folder: {outcome.plan.run_dir}  (compare.md, "
        + ", ".join(p.name for p in outcome.plots)
        + ", predicted.json, observed.json, verdict.json)"
    )
    if not outcome.passed:
        return ExitCode.THRESHOLDS_FAILED
    if gate_thresholds and outcome.observed.summary.thresholds_passed is False:
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("verify")(_verify)
