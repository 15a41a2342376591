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
from dataclasses import dataclass, field

import yaml

from scaling_lab.aws.metrics import FIGURES, Combine, Dimension, Figure
from scaling_lab.chaos.loader import LoadedExperiment
from scaling_lab.chaos.models import Action, ActionKind, StopCondition
from scaling_lab.chaos.runbooks import FIDELITY, Runbook, Where, runbook
from scaling_lab.errors import InputError, Problem, ValidationFailed
from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.scenario.thresholds import parse_threshold
from scaling_lab.system.models import FrontDoorKind

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
    automation_role_arn: str | None = None  # the role runbooks assume (default: role_arn)

    @property
    def function_name(self) -> str | None:
        """The function's name, from its ARN (an alias or version suffix dropped)."""
        if self.function_arn is None:
            return None
        return self.function_arn.split(":function:")[-1].split(":")[0]


@dataclass(frozen=True)
class FisPlan:
    template: JsonObject  # fis.create_experiment_template(**template)
    alarms: list[JsonObject]  # cloudwatch.put_metric_alarm(**alarm) each
    alarm_arns: list[str]
    documents: list[JsonObject] = field(default_factory=list)  # ssm.create_document(**doc) each
    start_at_s: float = 0.0  # start the FIS experiment this long into the load
    notes: list[str] = field(default_factory=list)  # how FIS's faults differ from the model's
    function_name: str | None = None  # the function the actions and runbooks act on
    by_runbook: tuple[int, ...] = ()  # the method actions a runbook injects

    def runbook_actions(self, method: list[Action]) -> list[Action]:
        return [method[i] for i in self.by_runbook]

    def show(self) -> JsonObject:
        """What a dry run prints."""
        docs: list[JsonValue] = [
            {**d, "Content": yaml.safe_load(str(d["Content"]))} for d in self.documents
        ]
        return {
            "start_at_s": self.start_at_s,
            "experiment_template": self.template,
            "alarms": list[JsonValue](self.alarms),
            "ssm_documents": docs,
            "notes": list(self.notes),
        }


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
    if options.automation_role_arn is not None and not _ARN_ROLE.match(options.automation_role_arn):
        raise InputError(
            f"--automation-role-arn: {options.automation_role_arn!r} is not an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)"
        )
    for arn in options.subnet_arns:
        if not _ARN_SUBNET.match(arn):
            raise InputError(
                f"--subnet-arn: {arn!r} is not a subnet ARN "
                "(arn:aws:ec2:<region>:<account>:subnet/subnet-<id>)"
            )
    return m.group("partition"), m.group("account")


_NATIVE_NEEDS_FUNCTION = "a Lambda action needs --function-arn"


@dataclass(frozen=True)
class _Planned:
    """One method action as FIS runs it: the FIS action, its runbook if any, and how it
    differs from the fault the model injects."""

    action: dict[str, JsonValue]
    runbook: Runbook | None = None
    fidelity: str | None = None


def _lambda_action(action_id: str, params: dict[str, JsonValue]) -> dict[str, JsonValue]:
    return {
        "actionId": action_id,
        "parameters": params,
        "targets": {"Functions": "function"},  # ASSUMPTION: FIS's target key for Lambda
    }


def _native(action: Action, options: FisOptions) -> _Planned | str | None:
    """The FIS action of its own for ``action``; a refusal; None: a runbook injects it."""
    kind, target = action.kind, action.target
    params: dict[str, JsonValue] = {"duration": _iso(action.duration_s)}
    if kind is ActionKind.DYNAMODB_ERRORS:
        return (
            "dynamodb_errors: FIS injects API errors only into ec2 and kinesis calls "
            "(aws:fis:inject-api-internal-error), not DynamoDB's"
        )
    if kind is ActionKind.LAMBDA_ERRORS:
        pct = round((action.rate or 0.0) * 100)
        if not 1 <= pct <= 100:
            return f"rate {action.rate}: FIS's invocationPercentage is 1-100 (a rate 0.01-1)"
        if options.function_arn is None:
            return _NATIVE_NEEDS_FUNCTION
        params |= {"invocationPercentage": str(pct), "preventExecution": "true"}
        return _Planned(_lambda_action("aws:lambda:invocation-error", params))
    if kind is ActionKind.ADDED_LATENCY:
        if target not in ("lambda", "dynamodb"):
            return (
                f"added_latency on {target}: FIS has no action that adds latency to SQS calls; "
                "aws:lambda:invocation-add-delay delays the function (target lambda or dynamodb)"
            )
        if options.function_arn is None:
            return _NATIVE_NEEDS_FUNCTION
        params |= {
            "invocationPercentage": "100",
            "startupDelayMilliseconds": str(int(action.latency_ms or 0)),
        }
        fidelity = FIDELITY["added_latency/dynamodb"] if target == "dynamodb" else None
        return _Planned(_lambda_action("aws:lambda:invocation-add-delay", params), None, fidelity)
    if kind in (ActionKind.BACKEND_UNREACHABLE, ActionKind.BACKEND_RESTART):
        if target == "all":
            return f"{kind.value} on all: give one action per backend (dynamodb, sqs)"
        if (
            target == "dynamodb"
            and options.subnet_arns
            and MIN_FIS_DURATION_S <= action.duration_s <= MAX_FIS_DURATION_S
        ):
            params["scope"] = "dynamodb"
            return _Planned(
                {
                    "actionId": "aws:network:disrupt-connectivity",
                    "parameters": params,
                    "targets": {"Subnets": "subnets"},  # ASSUMPTION: FIS's target key
                }
            )
    return None  # a runbook


def _plan_action(
    loaded: LoadedExperiment,
    i: int,
    action: Action,
    options: FisOptions,
    where: Where,
    delay_s: float,
) -> _Planned | str:
    """The FIS action for one action of the method, or why FIS cannot inject it."""
    if not (_whole(action.at_s) and _whole(action.duration_s)):
        return "FIS durations are whole seconds (ISO 8601 PT<n>S)"
    native = _native(action, options)
    if native is not None:
        return native
    book = runbook(loaded.name, i, action, loaded.system, where, delay_s)
    if isinstance(book, str):
        return book
    arn = f"arn:{where.partition}:ssm:{where.region}:{where.account}:document/{book.name}"
    role = options.automation_role_arn or options.role_arn
    budget = min(MAX_FIS_DURATION_S, max(MIN_FIS_DURATION_S, delay_s + action.duration_s + 900))
    return _Planned(
        {
            "actionId": "aws:ssm:start-automation-execution",
            "parameters": {
                "documentArn": arn,
                "documentParameters": json.dumps({"AutomationAssumeRole": role}),
                # the runbook's waits are bounded (600 s each); past this FIS cancels it,
                # and a cancel restores
                "maxDuration": _iso(budget),
            },
        },
        book,
        book.fidelity,
    )


#: Function URL metrics (AWS/Lambda, dimension FunctionName): "UrlRequestCount - The number
#: of requests made to this function URL", "Url4xxCount", "Url5xxCount", "UrlRequestLatency -
#: The time between when the function URL receives a request and when the function URL returns
#: a response" (https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html)
URL_METRICS_URL = "https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html"
_URL_LATENCY_STAT = {"avg": "Average", "max": "Maximum", "min": "Minimum"}


def _url_query(qid: str, name: str, function: str, stat: str, data: bool) -> JsonObject:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": name,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
            },
            "Period": ALARM_PERIOD_S,
            "Stat": stat,
        },
        "ReturnData": data,
    }


def _url_alarm(
    loaded: LoadedExperiment, i: int, stop: StopCondition, options: FisOptions
) -> tuple[JsonObject | None, str | None]:
    """A stop condition on the API's responses: the function URL's metrics (every path
    together: they are per function)."""
    probe = loaded.experiment.probe(stop.probe)
    if loaded.system.front_door.kind is not FrontDoorKind.FUNCTION_URL:
        return None, (
            f"probe {probe.name!r} reads endpoint {probe.endpoint}: only a function URL's "
            "responses are mapped to CloudWatch metrics; use a figure probe"
        )
    if probe.endpoint != "all":
        return None, (
            f"probe {probe.name!r} reads endpoint {probe.endpoint}: a function URL's metrics "
            "count every path together; use endpoint all"
        )
    function = options.function_name
    if function is None:
        return None, f"probe {probe.name!r}: an alarm on the function URL needs --function-arn"
    th = parse_threshold(stop.tolerance)
    if th.operator not in _COMPARISON:
        return None, f"tolerance {stop.tolerance!r}: an alarm compares with <, <=, > or >="
    if th.aggregation == "rate":
        queries: list[JsonValue] = [
            _url_query("m4xx", "Url4xxCount", function, "Sum", False),
            _url_query("m5xx", "Url5xxCount", function, "Sum", False),
            _url_query("mall", "UrlRequestCount", function, "Sum", False),
            {
                "Id": "rate",
                "Expression": "(m4xx + m5xx) / mall",
                "Label": "error rate",
                "ReturnData": True,
            },
        ]
    elif th.aggregation == "p" or th.aggregation in _URL_LATENCY_STAT:
        stat = f"p{th.percentile:g}" if th.aggregation == "p" else _URL_LATENCY_STAT[th.aggregation]
        queries = [_url_query("m0", "UrlRequestLatency", function, stat, True)]
    else:
        return None, (
            f"tolerance {stop.tolerance!r}: a function URL alarm watches rate, p(N), avg, min "
            "or max"
        )
    return _alarm_body(loaded, i, stop, probe.name, queries, th.value, options), None


def _alarm_body(
    loaded: LoadedExperiment,
    i: int,
    stop: StopCondition,
    probe: str,
    queries: list[JsonValue],
    threshold: float,
    options: FisOptions,
) -> JsonObject:
    th = parse_threshold(stop.tolerance)
    return {
        "AlarmName": f"{options.alarm_prefix}-{loaded.name}-{i}",
        "AlarmDescription": f"{loaded.experiment.title}: stop when {probe} breaks "
        f"{stop.tolerance} for {stop.for_s:g} s",
        "ActionsEnabled": False,
        "Metrics": queries,
        "EvaluationPeriods": max(1, math.ceil(stop.for_s / ALARM_PERIOD_S)),
        "Threshold": float(threshold),
        "ComparisonOperator": _COMPARISON[th.operator],
        "TreatMissingData": "notBreaching",
    }


def _alarm(
    loaded: LoadedExperiment,
    i: int,
    stop: StopCondition,
    options: FisOptions,
) -> tuple[JsonObject | None, str | None]:
    probe = loaded.experiment.probe(stop.probe)
    if probe.figure is None:
        return _url_alarm(loaded, i, stop, options)
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
        Dimension.FUNCTION: options.function_name,
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
    return _alarm_body(loaded, i, stop, probe.name, queries, threshold, options), None


def fis_plan(loaded: LoadedExperiment, options: FisOptions) -> FisPlan:
    """The template, its alarms and runbooks; :class:`ValidationFailed` listing, one line
    each, every action FIS cannot inject and every stop condition no alarm can watch.

    The experiment starts ``start_at_s`` into the load (the method's first start); a native
    action that starts later waits for it with ``aws:fis:wait``, a runbook with its own
    ``aws:sleep``."""
    partition, account = _check_options(options)
    source = str(loaded.path)
    method = loaded.experiment.method
    start_at = min((a.at_s for a in method), default=0.0)
    where = Where(partition, options.region, account, options.function_name)
    problems: list[Problem] = []
    actions: dict[str, JsonValue] = {}
    documents: list[JsonObject] = []
    by_runbook: list[int] = []
    notes: list[str] = []
    needs_function = needs_subnets = False
    for i, action in enumerate(method):
        delay = action.at_s - start_at
        planned = _plan_action(loaded, i, action, options, where, delay)
        if isinstance(planned, str):
            problems.append(Problem(source, f"method[{i}]", planned))
            continue
        fis = dict(planned.action)
        if delay > 0 and planned.runbook is None:
            if not MIN_FIS_DURATION_S <= delay <= MAX_FIS_DURATION_S:
                problems.append(
                    Problem(
                        source,
                        f"method[{i}].at",
                        f"{delay:g} s after the first action: a later start is an aws:fis:wait, "
                        "which lasts one minute to 12 hours",
                    )
                )
                continue
            actions[f"wait{i}"] = {
                "actionId": "aws:fis:wait",
                "description": f"until {action.name} starts",
                "parameters": {"duration": _iso(delay)},
            }
            fis["startAfter"] = [f"wait{i}"]
        fis["description"] = action.name
        actions[f"a{i}"] = fis
        if planned.runbook is not None:
            documents.append(planned.runbook.create)
            by_runbook.append(i)
        if planned.fidelity is not None:
            notes.append(f"method[{i}] {action.name}: {planned.fidelity}")
        needs_function |= "targets" in fis and fis["targets"] == {"Functions": "function"}
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
    return FisPlan(
        template,
        alarms,
        arns,
        documents,
        start_at,
        notes,
        options.function_name,
        tuple(by_runbook),
    )
