"""``observe`` as a library call: read a finished run's CloudWatch metrics and merge them into
its observed result, or say why nothing could be merged.

CloudWatch's standard metrics have 1-minute resolution and arrive a few minutes late
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html): the
run's window is padded by one period on each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from scaling_lab.aws.cloudwatch import MetricDataReader
from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.observe.cloudwatch import DEFAULT_FUNCTION_NAME, collect_cloudwatch
from scaling_lab.observe.merge import merge_into_result
from scaling_lab.result.models import ResultKind, RunResult

__all__ = ["Observed", "cloudwatch_client", "observe_run"]


@dataclass(frozen=True)
class Observed:
    result: RunResult  # the observed result with the CloudWatch figures merged in
    merged: list[str]  # figures CloudWatch answered for
    empty: list[str]  # figures asked for that came back without datapoints (left null)


def cloudwatch_client(region: str, endpoint_url: str | None = None) -> MetricDataReader:
    """A boto3 CloudWatch client (credentials from the usual AWS chain)."""
    import boto3

    client: MetricDataReader = boto3.client(
        "cloudwatch", region_name=region, endpoint_url=endpoint_url
    )
    return client


def observe_run(
    result: RunResult,
    client: MetricDataReader | None = None,
    *,
    function_name: str = DEFAULT_FUNCTION_NAME,
    queue_name: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    period_s: int = 60,
) -> Observed:
    """Merge the run's CloudWatch figures; InputError for a result that is not observed,
    EnvironmentProblem when CloudWatch cannot be read or answers nothing at all."""
    from botocore.exceptions import BotoCoreError, NoCredentialsError

    if result.kind is not ResultKind.OBSERVED:
        raise InputError(f"observe needs an observed result, got {result.kind.value}")
    region = region or result.system.region
    start = result.provenance.started_at
    end = start + timedelta(seconds=result.scenario.duration_s)
    pad = timedelta(seconds=period_s)
    try:
        figures = collect_cloudwatch(
            client or cloudwatch_client(region, endpoint_url),
            result.system,
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
            f"{function_name!r}, region {region}); nothing merged"
        )
    return Observed(merge_into_result(result, figures, start.timestamp()), seen, empty)
