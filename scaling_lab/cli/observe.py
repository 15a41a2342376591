"""``observe``: merge a run's CloudWatch metrics (staging, any AWS account) into its result."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.output import err, out
from scaling_lab.errors import EnvironmentProblem, ExitCode, InputError

__all__ = ["register"]

# CloudWatch's standard metrics have 1-minute resolution and arrive a few minutes late
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html):
# the window is padded by one period on each side.


def _observe(
    result: Annotated[Path, typer.Argument(help="an observed result JSON (from `run`)")],
    function_name: Annotated[
        str,
        typer.Option(
            "--function-name",
            help="the Lambda function behind the API",
            envvar="SCALING_LAB_FUNCTION_NAME",
        ),
    ] = "triggers-api",
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
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="CloudWatch endpoint (emulators)",
            envvar="SCALING_LAB_CLOUDWATCH_ENDPOINT",
        ),
    ] = None,
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
    import boto3
    from botocore.exceptions import BotoCoreError, NoCredentialsError

    from scaling_lab.observe import collect_cloudwatch, merge_into_result
    from scaling_lab.result.io import load_result, save_result
    from scaling_lab.result.models import ResultKind

    res = load_result(result)
    if res.kind is not ResultKind.OBSERVED:
        raise InputError(f"{result}: observe needs an observed result, got {res.kind.value}")
    start = res.provenance.started_at
    end = start + timedelta(seconds=res.scenario.duration_s)
    pad = timedelta(seconds=period_s)
    try:
        client = boto3.client(
            "cloudwatch", region_name=region or res.system.region, endpoint_url=endpoint_url
        )
        figures = collect_cloudwatch(
            client,
            res.system,
            start - pad,
            end + pad,
            function_name=function_name,
            queue_name=queue_name,
            period_s=period_s,
        )
    except NoCredentialsError:
        raise EnvironmentProblem(
            "observe: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
        ) from None
    except BotoCoreError as exc:
        raise EnvironmentProblem(f"observe: CloudWatch: {exc}") from None
    seen = sorted(figures.observable)
    empty = sorted(figures.queried - figures.observable)
    if not seen:
        raise EnvironmentProblem(
            f"observe: CloudWatch returned no datapoints for any of {len(empty)} metrics "
            f"between {start - pad:%Y-%m-%d %H:%M:%S} and {end + pad:%H:%M:%S} UTC (function "
            f"{function_name!r}, region {region or res.system.region}); nothing merged, "
            f"{result} left as it was"
        )
    merged = merge_into_result(res, figures, start.timestamp())
    target = output or result.with_name(result.stem + "-cloudwatch.json")
    save_result(merged, target)
    out.print(f"merged {len(seen)} CloudWatch figure(s): {', '.join(seen)}")
    if empty:
        err.print(
            f"[yellow]warning:[/yellow] no datapoints for {len(empty)} figure(s), left null "
            f"(not observed): {', '.join(empty)}"
        )
    err.print(f"wrote {target}")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("observe")(_observe)
