"""DynamoDB and SQS capacity and faults at the protocol level: botocore event handlers.

Registered on the app's clients (``before-send`` and ``after-call``), so a throttle is a
genuine AWS error response -- HTTP 400 with ``__type`` ...#ProvisionedThroughputExceededException
and AWS's message -- that botocore's own retry logic (legacy or standard mode) reacts to:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
Writes are charged before they are sent (their size is known); reads are admitted while the
balance is positive and charged from the items returned (DynamoDB also settles reads after).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from emulator.governor.items import item_size_bytes
from emulator.governor.ports import HookHost
from scaling_lab.aws import ThrottleReason, read_units, update_units, write_units
from scaling_lab.aws.metrics import Figure
from scaling_lab.scenario.models import FaultKind

__all__ = ["DynamoDBHook", "SqsHook", "dynamodb_error"]

log = logging.getLogger("emulator.governor")

_PREFIX = "com.amazonaws.dynamodb.v20120810#"
PTEE_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
# On-demand tables answer ThrottlingException with this message when over their limit.
ON_DEMAND_MESSAGE = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically "
    "scaling your table or index so please try again shortly. If exceptions persist, check if "
    "you have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
)
_ATTEMPT_RE = re.compile(r"attempt=(\d+)")
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
_READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
# Update/Delete do not carry the stored item; charged as items of this size (ASSUMPTION: the
# API's items are under 1 KB -- 500-800 B payloads plus ~220 B of attributes; docs/emulation.md).
_UNKNOWN_SIZE_BYTES = 1000


class _Body:
    """The ``raw`` of an :class:`AWSResponse` built in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def dynamodb_error(
    status: int,
    error_type: str,
    message: str,
    url: str = "",
    reasons: list[dict[str, str]] | None = None,
) -> AWSResponse:
    """A DynamoDB JSON-protocol error response as DynamoDB sends it (incl. ``x-amz-crc32``);
    ``reasons``: the ``ThrottlingReasons`` list of a throttle ({reason, resource})
    -- https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html"""
    doc: dict[str, Any] = {"__type": _PREFIX + error_type, "message": message}
    if reasons:
        doc["ThrottlingReasons"] = reasons
    body = json.dumps(doc).encode()
    headers = {
        "x-amzn-RequestId": uuid.uuid4().hex.upper(),
        "x-amz-crc32": str(zlib.crc32(body) & 0xFFFFFFFF),
        "Content-Type": "application/x-amz-json-1.0",
        "Content-Length": str(len(body)),
    }
    return AWSResponse(url, status, headers, _Body(body))


def _header(request: Any, name: str) -> str:
    value = request.headers.get(name, "")
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _attempt(request: Any) -> int:
    m = _ATTEMPT_RE.search(_header(request, "amz-sdk-request"))
    return int(m.group(1)) if m else 1


def _operation(request: Any) -> str:
    return _header(request, "X-Amz-Target").rsplit(".", 1)[-1]


def _body(request: Any) -> dict[str, Any]:
    raw = request.body
    if not raw:
        return {}
    if hasattr(raw, "read"):
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def _partition_key(op: str, body: dict[str, Any]) -> str | None:
    """Which partition a call lands on: ``index|value`` of its partition key (the table's
    ``pk``, or the queried index's key condition value ``:p``); None when not one key."""
    try:
        if op == "PutItem":
            return "|" + str(body["Item"]["pk"]["S"])
        if op in ("UpdateItem", "DeleteItem", "GetItem"):
            return "|" + str(body["Key"]["pk"]["S"])
        if op == "Query":
            return f"{body.get('IndexName', '')}|" + str(
                body["ExpressionAttributeValues"][":p"]["S"]
            )
    except (KeyError, TypeError):
        return None
    return None


class DynamoDBHook:
    """Capacity and faults for the governed table; faults for every DynamoDB call."""

    def __init__(self, governor: HookHost) -> None:
        self.g = governor
        self.table = governor.system.dynamodb.table
        self.gsis = governor.system.dynamodb.gsis
        # before-send and after-call of one call run on the same thread (sync client).
        self._pending_read = threading.local()

    def register(self, client: Any) -> None:
        """Attach to a botocore DynamoDB client."""
        client.meta.events.register("before-send.dynamodb", self.before_send)
        client.meta.events.register("after-call.dynamodb", self.after_call)

    # -- cost ---------------------------------------------------------------------------------
    def write_cost(self, op: str, body: dict[str, Any]) -> float:
        """WCU a write consumes from the governed table's own capacity, by AWS's rules.

        In provisioned mode every GSI has its own provisioned throughput, separate from the
        table's, and the table's ConsumedWriteCapacityUnits counts the table alone
        (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations).
        Like the model, the system file's GSIs are taken as provisioned like the table with
        projection 'all', so they run out together and the table's units gate the write.
        """
        if op == "PutItem":
            return float(write_units(item_size_bytes(body.get("Item", {}))))
        if op == "UpdateItem":
            return float(update_units(_UNKNOWN_SIZE_BYTES, changes_index_key=False))
        if op == "DeleteItem":
            return float(write_units(_UNKNOWN_SIZE_BYTES))
        if op == "BatchWriteItem":
            total = 0.0
            for req in body.get("RequestItems", {}).get(self.table, []):
                if "PutRequest" in req:
                    total += self.write_cost("PutItem", {"Item": req["PutRequest"]["Item"]})
                else:
                    total += self.write_cost("DeleteItem", {})
            return total
        return 0.0

    @staticmethod
    def _consistent(op: str, body: dict[str, Any], table: str) -> bool:
        if op == "BatchGetItem":
            return bool(body.get("RequestItems", {}).get(table, {}).get("ConsistentRead", False))
        return bool(body.get("ConsistentRead", False))

    def _targets_table(self, op: str, body: dict[str, Any]) -> bool:
        if op in ("BatchWriteItem", "BatchGetItem"):
            return self.table in body.get("RequestItems", {})
        return body.get("TableName") == self.table

    # -- handlers -----------------------------------------------------------------------------
    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        """Faults, then capacity: returns an error response, raises, or lets the call through."""
        g = self.g
        now = g.clock()
        t = g.run_time(now)
        if _attempt(request) > 1:
            g.counters.add(now, Figure.DDB_RETRIES)
        fault = g.timeline.find(t, FaultKind.BACKEND_UNREACHABLE, "dynamodb")
        if fault is not None:
            g.timeline.hit(fault)
            raise EndpointConnectionError(endpoint_url=request.url)
        fault = g.timeline.find(t, FaultKind.ADDED_LATENCY, "dynamodb")
        if fault is not None and fault.fault.latency_ms:
            g.timeline.hit(fault)
            time.sleep(fault.fault.latency_ms / 1000.0)
        fault = g.timeline.find(t, FaultKind.DYNAMODB_ERRORS, "dynamodb")
        if fault is not None and g.chance(fault.fault.rate or 0.0):
            g.timeline.hit(fault)
            g.counters.add(now, Figure.DDB_INJECTED_ERRORS)
            return dynamodb_error(500, "InternalServerError", "Internal server error", request.url)
        self._pending_read.consistent = None
        op = _operation(request)
        if op not in _WRITES and op not in _READS:
            return None
        try:
            body = _body(request)
        except ValueError:
            return None
        if not self._targets_table(op, body):
            return None
        key = _partition_key(op, body)
        if op in _WRITES:
            units = self.write_cost(op, body)
            reason = g.write_refusal(units, now, key)
            if reason is None:
                g.counters.add(now, Figure.DDB_CONSUMED_WCU, units)
                return None
            g.counters.add(now, Figure.DDB_THROTTLED)
            g.counters.add(now, Figure.DDB_WRITE_THROTTLES)
            return self._throttle(request, reason, None)
        reason = g.read_refusal(now, key)
        if reason is None:
            self._pending_read.consistent = self._consistent(op, body, self.table)
            self._pending_read.key = key
            return None
        g.counters.add(now, Figure.DDB_THROTTLED)
        g.counters.add(now, Figure.DDB_READ_THROTTLES)
        return self._throttle(request, reason, body.get("IndexName"))

    def _throttle(self, request: Any, reason: ThrottleReason, index: str | None) -> AWSResponse:
        region = self.g.system.region
        resource = f"arn:aws:dynamodb:{region}:000000000000:table/{self.table}"
        if index and reason.value.startswith("Index"):
            resource += f"/index/{index}"
        reasons = [{"reason": reason.value, "resource": resource}]
        if self.g.on_demand:
            return dynamodb_error(
                400, "ThrottlingException", ON_DEMAND_MESSAGE, request.url, reasons
            )
        return dynamodb_error(
            400, "ProvisionedThroughputExceededException", PTEE_MESSAGE, request.url, reasons
        )

    def after_call(self, http_response: Any, parsed: Any, **_: Any) -> None:
        """Charge an admitted read by the size of what it returned."""
        consistent = getattr(self._pending_read, "consistent", None)
        self._pending_read.consistent = None
        if consistent is None or http_response is None or http_response.status_code >= 300:
            return
        items: list[Any] = []
        if "Item" in parsed:
            items = [parsed["Item"]]
        elif "Items" in parsed:
            items = list(parsed["Items"])
        elif "Responses" in parsed:
            items = list(parsed["Responses"].get(self.table, []))
        size = sum(item_size_bytes(i) for i in items)
        units = read_units(size, eventually_consistent=not consistent)
        now = self.g.clock()
        self.g.charge_read(units, now, getattr(self._pending_read, "key", None))
        self.g.counters.add(now, Figure.DDB_CONSUMED_RCU, units)


class SqsHook:
    """Faults on the app's SQS calls: unavailable/unreachable and added latency."""

    def __init__(self, governor: HookHost) -> None:
        self.g = governor

    def register(self, client: Any) -> None:
        """Attach to a botocore SQS client."""
        client.meta.events.register("before-send.sqs", self.before_send)

    def before_send(self, request: Any, **_: Any) -> None:
        """Raise a connection error while SQS is down; sleep while latency is added."""
        g = self.g
        t = g.run_time(g.clock())
        fault = g.timeline.sqs_unavailable(t) or g.timeline.find(
            t, FaultKind.BACKEND_UNREACHABLE, "sqs"
        )
        if fault is not None:
            g.timeline.hit(fault)
            raise EndpointConnectionError(endpoint_url=request.url)
        fault = g.timeline.find(t, FaultKind.ADDED_LATENCY, "sqs")
        if fault is not None and fault.fault.latency_ms:
            g.timeline.hit(fault)
            time.sleep(fault.fault.latency_ms / 1000.0)
