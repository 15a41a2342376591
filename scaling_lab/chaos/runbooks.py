"""SSM Automation runbooks for the faults FIS has no action of its own for: FIS runs each with
``aws:ssm:start-automation-execution`` ("Runs an Automation runbook"; FIS_ACTIONS_URL), the
pattern AWS's own FIS template library uses for faults without a native action (its
``sqs-queue-impairment``: a runbook applies the fault, sleeps, and restores it; every step's
``onFailure`` and ``onCancel`` go to the restore step, so stopping the experiment restores too).

Each runbook is ``schemaVersion: '0.3'`` with ``aws:executeAwsApi`` / ``aws:sleep`` /
``aws:waitForAwsResourceProperty`` steps
(https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html):

- ``throttle_storm`` on dynamodb: ``UpdateTable`` lowers the table's and every index's
  provisioned capacity to ``capacity_factor`` of the system file's, then puts them back;
  on lambda: ``PutFunctionConcurrency`` lowers the reserved concurrency, then puts it back.
- ``sqs_unavailable`` (and a backend outage on sqs): ``SetQueueAttributes`` puts a queue policy
  that denies the data-plane actions, then removes it.
- ``backend_unreachable`` / ``backend_restart`` on dynamodb, shorter than the one minute
  ``aws:network:disrupt-connectivity`` needs: ``PutResourcePolicy`` denies the data-plane
  actions on the table, then ``DeleteResourcePolicy``.
- ``cold_start_storm``: ``UpdateFunctionConfiguration`` (the timeout one second longer, then
  back): "When you update a function, Lambda provisions an instance of the function and its
  supporting resources ... [LastUpdateStatus] indicate[s] when the update is complete and the
  function is processing events with the new configuration"
  (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html): each
  update moves the traffic to new environments once.

How each differs from the fault the model and the local stack inject is a note of the plan
(:data:`FIDELITY`), printed with the template and kept in the journal.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import yaml

from scaling_lab.chaos.models import Action, ActionKind
from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.system.models import DynamoDBMode, SystemConfig

__all__ = ["FIDELITY", "Runbook", "Where", "runbook"]

#: The data-plane actions a denied queue refuses (the ones the API and its consumer call).
SQS_DATA_PLANE = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
]
#: The data-plane actions a denied table refuses; its management actions (DeleteResourcePolicy
#: among them) stay allowed, so the restore step always can.
DDB_DATA_PLANE = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
]
DENY_SID = "ScalingLabChaosDeny"

#: How the fault FIS injects differs from the model's and the local stack's, by fault.
FIDELITY: dict[str, str] = {
    "throttle_storm/dynamodb": (
        "the lower capacity applies once UpdateTable finishes (the runbook waits for the table "
        "to be ACTIVE before it holds), auto scaling may raise it again before the storm ends, "
        "and DynamoDB limits how many decreases a table gets a day"
    ),
    "throttle_storm/lambda": "reserved concurrency lowered with PutFunctionConcurrency",
    "sqs_unavailable": (
        "SQS answers AccessDenied, which botocore does not retry; the local stack's outage is "
        "a connection error, retried (the API fails sooner on AWS)"
    ),
    "backend/dynamodb": (
        "DynamoDB answers AccessDeniedException, which botocore does not retry; the local "
        "stack's outage is a connection error, retried; a resource policy may take a few "
        "seconds to apply"
    ),
    "cold_start_storm": (
        "AWS moves the traffic to new environments once at the start and once at the end "
        "(two configuration updates); the model and the local stack recycle every "
        "environment on every invocation for the whole window, a harsher storm: the "
        "prediction is an upper bound"
    ),
    "added_latency/dynamodb": (
        "FIS delays the invocation (aws:lambda:invocation-add-delay) by the latency instead of "
        "the DynamoDB call: the model adds it once per request too, so the environments are "
        "held as long; the FIS Lambda extension must be on the function"
    ),
}


@dataclass(frozen=True)
class Runbook:
    """An Automation document: ``ssm.create_document(**create)``; ``name`` is its name."""

    name: str
    content: JsonObject
    fidelity: str

    @property
    def create(self) -> JsonObject:
        return {
            "Name": self.name,
            "Content": yaml.safe_dump(self.content, sort_keys=False),
            "DocumentType": "Automation",
            "DocumentFormat": "YAML",
        }


def _iso(seconds: float) -> str:
    return f"PT{int(seconds)}S"


def _api(name: str, service: str, api: str, **inputs: JsonValue) -> JsonObject:
    return {
        "name": name,
        "action": "aws:executeAwsApi",
        "inputs": {"Service": service, "Api": api, **inputs},
    }


def _wait(
    name: str, service: str, api: str, selector: str, value: str, **inputs: JsonValue
) -> JsonObject:
    return {
        "name": name,
        "action": "aws:waitForAwsResourceProperty",
        "timeoutSeconds": 600,
        "inputs": {
            "Service": service,
            "Api": api,
            "PropertySelector": selector,
            "DesiredValues": [value],
            **inputs,
        },
    }


def _sleep(name: str, seconds: float) -> JsonObject:
    return {"name": name, "action": "aws:sleep", "inputs": {"Duration": _iso(seconds)}}


def _document(
    description: str, delay_s: float, inject: list[JsonObject], restore: list[JsonObject]
) -> JsonObject:
    """delay, inject, hold, restore; a failure or a cancel from the injection on restores."""
    steps: list[JsonObject] = []
    if delay_s > 0:
        steps.append(_sleep("delay", delay_s))  # cancelled here: nothing to restore
    first_restore = restore[0]["name"]
    for step in inject:
        steps.append(
            {**step, "onFailure": f"step:{first_restore}", "onCancel": f"step:{first_restore}"}
        )
    restore = [dict(s) for s in restore]
    restore[-1]["isEnd"] = True
    return {
        "schemaVersion": "0.3",
        "description": description,
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "AutomationAssumeRole": {
                "type": "String",
                "description": "the role SSM Automation assumes to inject and restore the fault",
            }
        },
        "mainSteps": [*steps, *restore],
    }


def _table_capacity(system: SystemConfig, factor: float) -> tuple[JsonObject, list[JsonValue]]:
    ddb = system.dynamodb
    assert ddb.write is not None and ddb.read is not None
    wcu = max(1, math.ceil(ddb.write.provisioned * factor))
    rcu = max(1, math.ceil(ddb.read.provisioned * factor))
    gsis: list[JsonValue] = []
    for g in ddb.gsis:
        g_wcu = (g.write or ddb.write).provisioned
        gsis.append(
            {
                "Update": {
                    "IndexName": g.name,
                    "ProvisionedThroughput": {
                        "ReadCapacityUnits": rcu,
                        "WriteCapacityUnits": max(1, math.ceil(g_wcu * factor)),
                    },
                }
            }
        )
    return {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}, gsis


def _update_table(name: str, system: SystemConfig, factor: float) -> JsonObject:
    table, gsis = _table_capacity(system, factor)
    inputs: dict[str, JsonValue] = {
        "TableName": system.dynamodb.table,
        "ProvisionedThroughput": table,
    }
    if gsis:
        inputs["GlobalSecondaryIndexUpdates"] = gsis
    return _api(name, "dynamodb", "UpdateTable", **inputs)


def _table_active(name: str, system: SystemConfig) -> JsonObject:
    return _wait(
        name,
        "dynamodb",
        "DescribeTable",
        "$.Table.TableStatus",
        "ACTIVE",
        TableName=system.dynamodb.table,
    )


def _set_timeout(name: str, done: str, function: str, timeout_s: int) -> list[JsonObject]:
    """A configuration update (the timeout set) and the wait until the function runs it."""
    return [
        _api(
            name, "lambda", "UpdateFunctionConfiguration", FunctionName=function, Timeout=timeout_s
        ),
        _wait(
            done,
            "lambda",
            "GetFunctionConfiguration",
            "$.LastUpdateStatus",
            "Successful",
            FunctionName=function,
        ),
    ]


def _deny(sid_resource: str, actions: list[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": DENY_SID,
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": actions,
                    "Resource": sid_resource,
                }
            ],
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class Where:
    """What a runbook acts on."""

    partition: str
    region: str
    account: str
    function: str | None  # the function's name (Lambda runbooks)


def runbook(
    experiment: str, i: int, action: Action, system: SystemConfig, where: Where, delay_s: float
) -> Runbook | str:
    """The runbook for method action ``i`` (started ``delay_s`` after the experiment), or why
    no runbook can inject it."""
    kind, target, hold = action.kind, action.target, action.duration_s
    steps_in: list[JsonObject]
    steps_out: list[JsonObject]
    if kind is ActionKind.THROTTLE_STORM:
        factor = action.capacity_factor or 1.0
        if factor >= 1:
            return "throttle_storm with capacity_factor 1 changes nothing"
        steps_in, steps_out, keys = [], [], []
        if target in ("dynamodb", "all"):
            ddb = system.dynamodb
            if ddb.mode is not DynamoDBMode.PROVISIONED or ddb.write is None or ddb.read is None:
                return (
                    f"throttle_storm on {target}: the table is on-demand, it has no "
                    "provisioned capacity to lower"
                )
            steps_in += [_update_table("lower", system, factor), _table_active("lowered", system)]
            steps_out += [_update_table("restore", system, 1.0), _table_active("restored", system)]
            keys.append("throttle_storm/dynamodb")
        if target in ("lambda", "all"):
            reserved = system.lambda_.reserved_concurrency
            if reserved is None or where.function is None:
                return (
                    "throttle_storm on lambda: lowering concurrency needs the function's "
                    "reserved concurrency in the system file and --function-arn"
                )
            low = max(0, math.floor(reserved * factor))
            steps_in.append(
                _api(
                    "lower_concurrency",
                    "lambda",
                    "PutFunctionConcurrency",
                    FunctionName=where.function,
                    ReservedConcurrentExecutions=low,
                )
            )
            steps_out.insert(
                0,
                _api(
                    "restore_concurrency",
                    "lambda",
                    "PutFunctionConcurrency",
                    FunctionName=where.function,
                    ReservedConcurrentExecutions=reserved,
                ),
            )
            keys.append("throttle_storm/lambda")
        if not steps_in:
            return f"throttle_storm on {target}: FIS can lower DynamoDB's or Lambda's capacity only"
        fidelity = "; ".join(FIDELITY[k] for k in keys)
        desc = f"lower capacity to {factor:g} for {hold:g} s, then restore"
    elif kind is ActionKind.SQS_UNAVAILABLE or (
        kind in (ActionKind.BACKEND_UNREACHABLE, ActionKind.BACKEND_RESTART) and target == "sqs"
    ):
        queue = system.sqs.queue
        url = f"https://sqs.{where.region}.amazonaws.com/{where.account}/{queue}"
        arn = f"arn:{where.partition}:sqs:{where.region}:{where.account}:{queue}"
        policy = _deny(arn, SQS_DATA_PLANE)
        steps_in = [
            _api("deny", "sqs", "SetQueueAttributes", QueueUrl=url, Attributes={"Policy": policy})
        ]
        steps_out = [
            _api("allow", "sqs", "SetQueueAttributes", QueueUrl=url, Attributes={"Policy": ""})
        ]
        fidelity = FIDELITY["sqs_unavailable"]
        desc = f"deny the queue's data plane for {hold:g} s, then remove the policy"
    elif kind in (ActionKind.BACKEND_UNREACHABLE, ActionKind.BACKEND_RESTART):
        if target != "dynamodb":
            return f"{kind.value} on {target}: give dynamodb or sqs (one action each)"
        table = system.dynamodb.table
        arn = f"arn:{where.partition}:dynamodb:{where.region}:{where.account}:table/{table}"
        steps_in = [
            _api(
                "deny",
                "dynamodb",
                "PutResourcePolicy",
                ResourceArn=arn,
                Policy=_deny(arn, DDB_DATA_PLANE),
            )
        ]
        steps_out = [_api("allow", "dynamodb", "DeleteResourcePolicy", ResourceArn=arn)]
        fidelity = FIDELITY["backend/dynamodb"]
        desc = f"deny the table's data plane for {hold:g} s, then delete the policy"
    elif kind is ActionKind.COLD_START_STORM:
        if where.function is None:
            return "cold_start_storm: recycling the environments needs --function-arn"
        timeout = int(system.lambda_.timeout_s)
        other = timeout + 1 if timeout < 900 else timeout - 1
        steps_in = _set_timeout("recycle", "recycled", where.function, other)
        steps_out = _set_timeout("recycle_back", "recycled_back", where.function, timeout)
        fidelity = FIDELITY["cold_start_storm"]
        desc = f"recycle the environments, hold {hold:g} s, recycle them again"
    else:
        return f"{kind.value} on {target}: no runbook injects it"
    steps_in.append(_sleep("hold", hold))
    content = _document(
        f"scaling-lab chaos {experiment}: {action.name}: {desc}", delay_s, steps_in, steps_out
    )
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:10]
    name = f"scaling-lab-{experiment}-{i}-{digest}"[:128]
    return Runbook(name, content, fidelity)
