"""An AWS FIS experiment template from an experiment: what ``fis.create_experiment_template``
takes, and the CloudWatch alarms its stop conditions name. Built, never created here.

Actions (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html):
- ``lambda_errors`` -> ``aws:lambda:invocation-error`` ("Marks Lambda function invocations as
  failed"; ``invocationPercentage`` 1-100, ``preventExecution``);
- ``added_latency`` on lambda -> ``aws:lambda:invocation-add-delay`` ("Delays starting a
  function"; ``startupDelayMilliseconds`` 0-900,000);
- ``backend_unreachable`` / ``backend_restart`` on dynamodb -> ``aws:network:disrupt-connectivity``
  with ``scope: dynamodb`` ("Denies traffic to and from the Regional endpoint for DynamoDB"),
  on the subnets of a function in a VPC; its duration is one minute to 12 hours;
- a start later than 0 -> an ``aws:fis:wait`` of that long before it (``startAfter``); the wait
  lasts one minute to 12 hours.
FIS cannot do the rest, and each is refused with the reason: it injects API errors only into
``ec2`` and ``kinesis`` calls (``aws:fis:inject-api-*-error``: "The supported value is ec2 and
kinesis"), has no action on SQS, none that adds latency to DynamoDB calls, and none that
lowers a table's or a function's capacity.

Stop conditions become alarms on the probe's CloudWatch metric (``scaling_lab.aws.metrics``),
one-minute periods: a per-second bound on a counter is compared with the minute's Sum as
60 x the bound (the minute's mean per second), on a gauge with its Maximum; the alarm fires
after ceil(for / 60) breaching minutes. Alarm ARNs are
``arn:aws:cloudwatch:<region>:<account>:alarm:<name>``
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass

from scaling_lab.aws.metrics import FIGURES, Combine, Dimension, Figure
from scaling_lab.chaos.loader import LoadedExperiment
from scaling_lab.chaos.models import Action, ActionKind, StopCondition
from scaling_lab.errors import InputError, Problem, ValidationFailed
from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.scenario.thresholds import parse_threshold

__all__ = ["FisOptions", "FisPlan", "fis_plan"]

FIS_ACTIONS_URL = "https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html"
#: aws:fis:wait and aws:network:disrupt-connectivity last "from one minute to 12 hours"
#: (FIS_ACTIONS_URL)
MIN_FIS_DURATION_S = 60.0
MAX_FIS_DURATION_S = 12 * 3600.0
#: ASSUMPTION: one-minute alarm periods, the standard resolution AWS/Lambda, AWS/DynamoDB and
#: AWS/SQS metrics are read at (a shorter period needs high-resolution metrics they lack).
ALARM_PERIOD_S = 60

_ARN_ROLE = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/.+$")
_ARN_FUNCTION = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:(?P<name>[A-Za-z0-9_-]+)(:[^:]+)?$"
)
_ARN_SUBNET = re.compile(r"^arn:aws[a-z-]*:ec2:[a-z0-9-]+:\d{12}:subnet/subnet-[0-9a-f]+$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")

_COMPARISON = {
    # alarm when the tolerance breaks
    "<": "GreaterThanOrEqualToThreshold",
    "<=": "GreaterThanThreshold",
    ">": "LessThanOrEqualToThreshold",
    ">=": "LessThanThreshold",
}


@dataclass(frozen=True)
class FisOptions:
    role_arn: str  # the IAM role FIS assumes
    region: str
    function_arn: str | None = None  # Lambda actions, and the FunctionName of alarms
    subnet_arns: tuple[str, ...] = ()  # disrupt-connectivity: the function's VPC subnets
    alarm_prefix: str = "scaling-lab-chaos"


@dataclass(frozen=True)
class FisPlan:
    template: JsonObject  # fis.create_experiment_template(**template)
    alarms: list[JsonObject]  # cloudwatch.put_metric_alarm(**alarm) each
    alarm_arns: list[str]


def _iso(seconds: float) -> str:
    return f"PT{int(seconds)}S"


def _whole(seconds: float) -> bool:
    return float(seconds).is_integer()


def _check_options(options: FisOptions) -> tuple[str, str]:
    m = _ARN_ROLE.match(options.role_arn)
    if m is None:
        raise InputError(
            f"--fis-role-arn: {options.role_arn!r} is not an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)"
        )
    if not _REGION.match(options.region):
        raise InputError(f"--region: {options.region!r} is not an AWS Region such as us-east-1")
    if options.function_arn is not None and not _ARN_FUNCTION.match(options.function_arn):
        raise InputError(
            f"--function-arn: {options.function_arn!r} is not a Lambda function ARN "
            "(arn:aws:lambda:<region>:<account>:function:<name>)"
        )
    for arn in options.subnet_arns:
        if not _ARN_SUBNET.match(arn):
            raise InputError(
                f"--subnet-arn: {arn!r} is not a subnet ARN "
                "(arn:aws:ec2:<region>:<account>:subnet/subnet-<id>)"
            )
    return m.group("partition"), m.group("account")


def _refusal(action: Action) -> str | None:
    """Why FIS cannot inject ``action``; None when it can."""
    kind, target = action.kind, action.target
    if kind is ActionKind.LAMBDA_ERRORS:
        return None
    if kind is ActionKind.ADDED_LATENCY:
        if target == "lambda":
            return None
        return (
            f"added_latency on {target}: FIS has no action that adds latency to DynamoDB or "
            "SQS calls; aws:lambda:invocation-add-delay delays the function (target: lambda)"
        )
    if kind in (ActionKind.BACKEND_UNREACHABLE, ActionKind.BACKEND_RESTART):
        if target == "dynamodb":
            return None
        return (
            f"{kind.value} on {target}: FIS cuts a subnet's traffic to DynamoDB "
            "(aws:network:disrupt-connectivity scope dynamodb), not to SQS"
        )
    if kind is ActionKind.DYNAMODB_ERRORS:
        return (
            "dynamodb_errors: FIS injects API errors only into ec2 and kinesis calls "
            "(aws:fis:inject-api-internal-error), not DynamoDB's"
        )
    if kind is ActionKind.SQS_UNAVAILABLE:
        return "sqs_unavailable: FIS has no SQS action"
    if kind is ActionKind.COLD_START_STORM:
        return (
            "cold_start_storm: FIS has no action that recycles a function's execution "
            "environments (its Lambda actions delay or fail invocations)"
        )
    return (
        f"throttle_storm on {target}: FIS has no action that lowers a DynamoDB table's "
        "capacity or a function's concurrency"
    )


def _fis_action(
    i: int, action: Action, options: FisOptions
) -> tuple[dict[str, JsonValue], str | None]:
    """(the FIS action, a problem) for one action of the method."""
    why = _refusal(action)
    if why is not None:
        return {}, why
    if not (_whole(action.at_s) and _whole(action.duration_s)):
        return {}, "FIS durations are whole seconds (ISO 8601 PT<n>S)"
    params: dict[str, JsonValue] = {"duration": _iso(action.duration_s)}
    if action.kind is ActionKind.LAMBDA_ERRORS:
        pct = round((action.rate or 0.0) * 100)
        if not 1 <= pct <= 100:
            return {}, f"rate {action.rate}: FIS's invocationPercentage is 1-100 (a rate 0.01-1)"
        if options.function_arn is None:
            return {}, "a Lambda action needs --function-arn"
        params |= {"invocationPercentage": str(pct), "preventExecution": "true"}
        return {
            "actionId": "aws:lambda:invocation-error",
            "parameters": params,
            "targets": {"Functions": "function"},  # ASSUMPTION: FIS's target key for Lambda
        }, None
    if action.kind is ActionKind.ADDED_LATENCY:
        if options.function_arn is None:
            return {}, "a Lambda action needs --function-arn"
        params |= {
            "invocationPercentage": "100",
            "startupDelayMilliseconds": str(int(action.latency_ms or 0)),
        }
        return {
            "actionId": "aws:lambda:invocation-add-delay",
            "parameters": params,
            "targets": {"Functions": "function"},
        }, None
    if not MIN_FIS_DURATION_S <= action.duration_s <= MAX_FIS_DURATION_S:
        return {}, (
            f"duration {action.duration_s:g} s: aws:network:disrupt-connectivity lasts one "
            "minute to 12 hours"
        )
    if not options.subnet_arns:
        return {}, "cutting DynamoDB off needs the function's VPC subnets (--subnet-arn)"
    params["scope"] = "dynamodb"
    return {
        "actionId": "aws:network:disrupt-connectivity",
        "parameters": params,
        "targets": {"Subnets": "subnets"},  # ASSUMPTION: FIS's target key for subnets
    }, None


def _alarm(
    loaded: LoadedExperiment,
    i: int,
    stop: StopCondition,
    options: FisOptions,
) -> tuple[JsonObject | None, str | None]:
    probe = loaded.experiment.probe(stop.probe)
    if probe.figure is None:
        return None, (
            f"probe {probe.name!r} reads endpoint {probe.endpoint}: no CloudWatch metric of the "
            "API's responses is mapped; use a figure probe (e.g. lambda_throttles)"
        )
    try:
        figure = Figure(probe.figure)
    except ValueError:
        return None, f"probe {probe.name!r} reads {probe.figure}, which CloudWatch does not publish"
    parts = [f for f, d in FIGURES.items() if d.part_of is figure] or [figure]
    metrics = [FIGURES[f].cloudwatch for f in parts]
    if any(m is None or m.emulator_only for m in metrics):
        return None, f"probe {probe.name!r} reads {probe.figure}, which AWS does not publish"
    th = parse_threshold(stop.tolerance)
    if th.operator not in _COMPARISON:
        return None, f"tolerance {stop.tolerance!r}: an alarm compares with <, <=, > or >="
    combine = FIGURES[figure].combine
    counter = combine is Combine.SUM
    threshold = th.value * ALARM_PERIOD_S if counter else th.value
    stat = "Sum" if counter else "Maximum"
    dims: dict[Dimension, str | None] = {
        Dimension.FUNCTION: (options.function_arn or "").split(":function:")[-1].split(":")[0]
        or None,
        Dimension.TABLE: loaded.system.dynamodb.table,
        Dimension.QUEUE: loaded.system.sqs.queue,
    }
    queries: list[JsonValue] = []
    for j, metric in enumerate(metrics):
        assert metric is not None
        value = dims[metric.dimension]
        if value is None:
            return None, f"probe {probe.name!r}: an alarm on a function metric needs --function-arn"
        queries.append(
            {
                "Id": f"m{j}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": metric.namespace,
                        "MetricName": metric.name,
                        "Dimensions": [{"Name": metric.dimension.value, "Value": value}],
                    },
                    "Period": ALARM_PERIOD_S,
                    "Stat": stat,
                },
                "ReturnData": len(metrics) == 1,
            }
        )
    if len(metrics) > 1:
        queries.append(
            {
                "Id": "total",
                "Expression": " + ".join(f"m{j}" for j in range(len(metrics))),
                "Label": probe.figure,
                "ReturnData": True,
            }
        )
    name = f"{options.alarm_prefix}-{loaded.name}-{i}"
    return {
        "AlarmName": name,
        "AlarmDescription": f"{loaded.experiment.title}: stop when {probe.name} breaks "
        f"{stop.tolerance} for {stop.for_s:g} s",
        "ActionsEnabled": False,
        "Metrics": queries,
        "EvaluationPeriods": max(1, math.ceil(stop.for_s / ALARM_PERIOD_S)),
        "Threshold": float(threshold),
        "ComparisonOperator": _COMPARISON[th.operator],
        "TreatMissingData": "notBreaching",
    }, None


def fis_plan(loaded: LoadedExperiment, options: FisOptions) -> FisPlan:
    """The template and its alarms; :class:`ValidationFailed` listing, one line each, every
    action FIS cannot inject and every stop condition no alarm can watch."""
    partition, account = _check_options(options)
    source = str(loaded.path)
    problems: list[Problem] = []
    actions: dict[str, JsonValue] = {}
    needs_function = needs_subnets = False
    for i, action in enumerate(loaded.experiment.method):
        fis, why = _fis_action(i, action, options)
        if why is not None:
            problems.append(Problem(source, f"method[{i}]", why))
            continue
        key = f"a{i}"
        if action.at_s > 0:
            if not MIN_FIS_DURATION_S <= action.at_s <= MAX_FIS_DURATION_S:
                problems.append(
                    Problem(
                        source,
                        f"method[{i}].at",
                        f"{action.at_s:g} s: a later start is an aws:fis:wait, which lasts one "
                        "minute to 12 hours; start at 0 or at 1m or later",
                    )
                )
                continue
            actions[f"wait{i}"] = {
                "actionId": "aws:fis:wait",
                "description": f"until {action.name} starts",
                "parameters": {"duration": _iso(action.at_s)},
            }
            fis["startAfter"] = [f"wait{i}"]
        fis["description"] = action.name
        actions[key] = fis
        needs_function |= action.kind in (ActionKind.LAMBDA_ERRORS, ActionKind.ADDED_LATENCY)
        needs_subnets |= fis["actionId"] == "aws:network:disrupt-connectivity"
    alarms: list[JsonObject] = []
    for i, stop in enumerate(loaded.experiment.stop_conditions):
        alarm, why = _alarm(loaded, i, stop, options)
        if why is not None:
            problems.append(Problem(source, f"stop_conditions[{i}]", why))
        elif alarm is not None:
            alarms.append(alarm)
    if problems:
        raise ValidationFailed(problems)
    targets: dict[str, JsonValue] = {}
    if needs_function and options.function_arn is not None:
        targets["function"] = {
            "resourceType": "aws:lambda:function",
            "resourceArns": [options.function_arn],
            "selectionMode": "ALL",
        }
    if needs_subnets:
        targets["subnets"] = {
            "resourceType": "aws:ec2:subnet",
            "resourceArns": list(options.subnet_arns),
            "selectionMode": "ALL",
        }
    arns = [
        f"arn:{partition}:cloudwatch:{options.region}:{account}:alarm:{a['AlarmName']}"
        for a in alarms
    ]
    stops: list[JsonValue] = [{"source": "aws:cloudwatch:alarm", "value": arn} for arn in arns]
    template: JsonObject = {
        "description": loaded.experiment.title[:512],
        "targets": targets,
        "actions": actions,
        "stopConditions": stops or [{"source": "none"}],
        "roleArn": options.role_arn,
        "tags": {"scaling-lab:experiment": loaded.name},
    }
    # the idempotency token: the same experiment and options make the same template once
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    template = {"clientToken": f"scaling-lab-{digest[:32]}", **template}
    return FisPlan(template, alarms, arns)
