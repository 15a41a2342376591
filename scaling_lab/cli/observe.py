"""``observe``: merge a run's CloudWatch metrics (staging, any AWS account) into its result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.options import CloudWatchEndpointOpt, FunctionNameOpt
from scaling_lab.cli.output import err, out
from scaling_lab.errors import EnvironmentProblem, ExitCode, InputError

__all__ = ["register"]


def _observe(
    result: Annotated[Path, typer.Argument(help="an observed result JSON (from `run`)")],
    function_name: FunctionNameOpt = "triggers-api",
    queue_name: Annotated[
        str | None,
        typer.Option(
            "--queue-name",
            help="SQS queue (default: the system file's)",
            envvar="SCALING_LAB_QUEUE_NAME",
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="AWS region (default: the system file's)", envvar="SCALING_LAB_REGION"
        ),
    ] = None,
    endpoint_url: CloudWatchEndpointOpt = None,
    period_s: Annotated[
        int,
        typer.Option(
            "--period", min=1, max=3600, help="seconds per datapoint", envvar="SCALING_LAB_PERIOD"
        ),
    ] = 60,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="where to write (default: next to RESULT, *-cloudwatch.json)",
            envvar="SCALING_LAB_OUTPUT",
        ),
    ] = None,
) -> int:
    """Fetch the run's CloudWatch metrics (GetMetricData) and merge them into the result."""
    from scaling_lab.observe.workflow import observe_run
    from scaling_lab.result.io import load_result, save_result

    loaded = load_result(result)  # its errors name the file
    try:
        observed = observe_run(
            loaded,
            function_name=function_name,
            queue_name=queue_name,
            region=region,
            endpoint_url=endpoint_url,
            period_s=period_s,
        )
    except InputError as exc:
        raise InputError(f"{result}: {exc}") from None
    except EnvironmentProblem as exc:
        raise EnvironmentProblem(f"{exc}; {result} left as it was") from None
    target = output or result.with_name(result.stem + "-cloudwatch.json")
    save_result(observed.result, target)
    out.print(f"merged {len(observed.merged)} CloudWatch figure(s): {', '.join(observed.merged)}")
    if observed.empty:
        err.print(
            f"[yellow]warning:[/yellow] no datapoints for {len(observed.empty)} figure(s), left "
            f"null (not observed): {', '.join(observed.empty)}"
        )
    err.print(f"wrote {target}")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("observe")(_observe)
