"""Where events live: the DynamoDB key design, the SQS envelope, and every call the API makes.

Events table (``pk`` = tenant id, ``sk`` = event id, ids sort by time):

- GSI ``inbox``: ``inbox_pk`` (tenant) + ``sk``. Sparse: only *pending* events carry
  ``inbox_pk``; ack removes it, so a Query reads exactly the undelivered events it returns.
- GSI ``inbox_by_type``: ``inbox_type_pk`` (tenant + event type) + ``sk``, sparse the same
  way, so an ``event_type`` filter is a key condition, not a FilterExpression.
- Idempotency records share the table: ``sk`` = ``idem#<sha256(key)>`` -> the event id.

API keys table: ``key_hash`` -> ``tenant_id``. Deliveries table (written by the delivery
worker): ``event_id`` + ``delivery`` (message id and receive count), for the audit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from emulator.app.clients import AwsClients
from emulator.app.enqueue import BatchingSender
from emulator.app.settings import AppSettings
from scaling_lab.aws.dynamodb import DYNAMODB_MAX_ITEM_BYTES

__all__ = [
    "INBOX_INDEX",
    "INBOX_TYPE_INDEX",
    "MAX_ITEM_BYTES",
    "EventStore",
    "IdempotencyClaim",
    "StoredEvent",
    "event_item",
    "item_size_bytes",
    "table_definitions",
]

INBOX_INDEX = "inbox"
INBOX_TYPE_INDEX = "inbox_by_type"
IDEM_PREFIX = "idem#"
_SEP = "\x1f"  # separates tenant and event type in inbox_type_pk; never valid in either

# DynamoDB's largest item, counted as UTF-8 names plus values (the rulebook's limit).
MAX_ITEM_BYTES = DYNAMODB_MAX_ITEM_BYTES


def _s(name: str) -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": "S"}


def _key(hash_name: str, range_name: str | None = None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    if range_name:
        schema.append({"AttributeName": range_name, "KeyType": "RANGE"})
    return schema


def table_definitions(settings: AppSettings) -> list[dict[str, Any]]:
    """``CreateTable`` arguments of every table the API uses (on-demand billing)."""
    all_ = {"ProjectionType": "ALL"}
    return [
        {
            "TableName": settings.events_table,
            "AttributeDefinitions": [_s("pk"), _s("sk"), _s("inbox_pk"), _s("inbox_type_pk")],
            "KeySchema": _key("pk", "sk"),
            "GlobalSecondaryIndexes": [
                {"IndexName": INBOX_INDEX, "KeySchema": _key("inbox_pk", "sk"), "Projection": all_},
                {
                    "IndexName": INBOX_TYPE_INDEX,
                    "KeySchema": _key("inbox_type_pk", "sk"),
                    "Projection": all_,
                },
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
        {
            "TableName": settings.api_keys_table,
            "AttributeDefinitions": [_s("key_hash")],
            "KeySchema": _key("key_hash"),
            "BillingMode": "PAY_PER_REQUEST",
        },
        {
            "TableName": settings.deliveries_table,
            "AttributeDefinitions": [_s("event_id"), _s("delivery")],
            "KeySchema": _key("event_id", "delivery"),
            "BillingMode": "PAY_PER_REQUEST",
        },
    ]


def type_partition(tenant_id: str, event_type: str) -> str:
    """``inbox_type_pk`` value of a tenant's events of one type."""
    return f"{tenant_id}{_SEP}{event_type}"


def idempotency_sort_key(idempotency_key: str) -> str:
    """``sk`` of the idempotency record of a client-chosen key (hashed: keys may be long)."""
    return IDEM_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()


def utc_now_iso() -> str:
    """Current time, RFC 3339 in UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class StoredEvent:
    """An event as read back from the table."""

    event_id: str
    event_type: str
    timestamp: str
    received_at: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The inbox representation."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "timestamp": self.timestamp,
            "received_at": self.received_at,
            "payload": self.payload,
        }


def event_item(
    tenant_id: str,
    event_id: str,
    event_type: str,
    timestamp: str,
    payload_json: str,
    correlation_id: str,
    received_at: str,
) -> dict[str, Any]:
    """The DynamoDB item of a pending event (in the inbox GSIs until acked)."""
    return {
        "pk": {"S": tenant_id},
        "sk": {"S": event_id},
        "event_type": {"S": event_type},
        "timestamp": {"S": timestamp},
        "received_at": {"S": received_at},
        "payload": {"S": payload_json},
        "status": {"S": "pending"},
        "correlation_id": {"S": correlation_id},
        "inbox_pk": {"S": tenant_id},
        "inbox_type_pk": {"S": type_partition(tenant_id, event_type)},
    }


def item_size_bytes(item: dict[str, Any]) -> int:
    """Size of an item as DynamoDB counts it against :data:`MAX_ITEM_BYTES`: UTF-8 bytes of
    every attribute name and string value (numbers and booleans as their text, which is an
    upper bound of DynamoDB's own encoding for the few the API writes)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode("utf-8"))
        ((kind, raw),) = value.items()
        total += 1 if kind in ("BOOL", "NULL") else len(str(raw).encode("utf-8"))
    return total


@dataclass(frozen=True)
class IdempotencyClaim:
    """What an earlier request with the same Idempotency-Key recorded."""

    event_id: str
    #: Digest of the earlier request's event (None: recorded before digests were kept).
    fingerprint: str | None


def _from_item(item: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        event_id=item["sk"]["S"],
        event_type=item["event_type"]["S"],
        timestamp=item["timestamp"]["S"],
        received_at=item["received_at"]["S"],
        payload=json.loads(item["payload"]["S"]),
    )


def _pending_item(
    tenant_id: str,
    event_id: str,
    event_type: str,
    timestamp: str,
    payload_json: str,
    correlation_id: str,
    idempotency_key: str | None,
    received_at: str,
) -> dict[str, Any]:
    item = event_item(
        tenant_id, event_id, event_type, timestamp, payload_json, correlation_id, received_at
    )
    if idempotency_key is not None:
        item["idem"] = {"S": idempotency_sort_key(idempotency_key)}
    return item


class EventStore:
    """The DynamoDB and SQS calls of the handlers; one instance shared by all requests."""

    def __init__(self, settings: AppSettings, clients: AwsClients) -> None:
        self._settings = settings
        self._ddb = clients.dynamodb
        self._sqs = clients.sqs
        self._batcher: BatchingSender | None = None
        if settings.enqueue_batching:
            self._batcher = BatchingSender(self._send_batch)

    def _send_batch(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(
            self._sqs.send_message_batch(QueueUrl=self._settings.queue_url, Entries=entries)
        )

    def close(self) -> None:
        """Flush and stop the batching sender, if any."""
        if self._batcher is not None:
            self._batcher.close()

    # -- api keys -----------------------------------------------------------------------------
    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        """Tenant owning a hashed API key, or None."""
        out = self._ddb.get_item(
            TableName=self._settings.api_keys_table,
            Key={"key_hash": {"S": key_hash}},
            ConsistentRead=True,
        )
        item = out.get("Item")
        return None if item is None else str(item["tenant_id"]["S"])

    # -- ingestion ----------------------------------------------------------------------------
    def put_event(
        self,
        tenant_id: str,
        event_id: str,
        event_type: str,
        timestamp: str,
        payload_json: str,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> str:
        """Durably store a pending event (the one write before 202); returns ``received_at``."""
        received_at = utc_now_iso()
        item = _pending_item(
            tenant_id,
            event_id,
            event_type,
            timestamp,
            payload_json,
            correlation_id,
            idempotency_key,
            received_at,
        )
        self._ddb.put_item(
            TableName=self._settings.events_table,
            Item=item,
            ConditionExpression="attribute_not_exists(sk)",
        )
        return received_at

    def stored_size_bytes(
        self,
        tenant_id: str,
        event_id: str,
        event_type: str,
        timestamp: str,
        payload_json: str,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> int:
        """Size of the item :meth:`put_event` would write (checked against the item limit)."""
        item = _pending_item(
            tenant_id,
            event_id,
            event_type,
            timestamp,
            payload_json,
            correlation_id,
            idempotency_key,
            utc_now_iso(),
        )
        return item_size_bytes(item)

    def claim_idempotency_key(
        self, tenant_id: str, key: str, event_id: str, fingerprint: str
    ) -> IdempotencyClaim | None:
        """Record ``key`` -> ``event_id`` (and the request's fingerprint); returns what the
        earlier request recorded if the key was used."""
        sk = idempotency_sort_key(key)
        try:
            self._ddb.put_item(
                TableName=self._settings.events_table,
                Item={
                    "pk": {"S": tenant_id},
                    "sk": {"S": sk},
                    "event_id": {"S": event_id},
                    "fingerprint": {"S": fingerprint},
                    "created_at": {"S": utc_now_iso()},
                },
                ConditionExpression="attribute_not_exists(sk)",
            )
            return None
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        out = self._ddb.get_item(
            TableName=self._settings.events_table,
            Key={"pk": {"S": tenant_id}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item = out["Item"]
        earlier = item.get("fingerprint")
        return IdempotencyClaim(
            event_id=str(item["event_id"]["S"]),
            fingerprint=None if earlier is None else str(earlier["S"]),
        )

    def event_exists(self, tenant_id: str, event_id: str) -> bool:
        """True when the event item is stored (used when completing an idempotent retry)."""
        out = self._ddb.get_item(
            TableName=self._settings.events_table,
            Key={"pk": {"S": tenant_id}, "sk": {"S": event_id}},
            ConsistentRead=True,
            ProjectionExpression="sk",
        )
        return "Item" in out

    def enqueue(self, tenant_id: str, event_id: str, event_type: str, correlation_id: str) -> None:
        """Send the delivery message (a reference; the worker reads the event if it needs it)."""
        body = json.dumps(
            {"tenant_id": tenant_id, "event_id": event_id, "event_type": event_type},
            separators=(",", ":"),
        )
        attributes = {"correlation_id": {"DataType": "String", "StringValue": correlation_id}}
        if self._batcher is None:
            self._sqs.send_message(
                QueueUrl=self._settings.queue_url, MessageBody=body, MessageAttributes=attributes
            )
        else:
            future = self._batcher.submit({"MessageBody": body, "MessageAttributes": attributes})
            future.result(timeout=self._settings.read_timeout_s * 2)

    # -- inbox --------------------------------------------------------------------------------
    def query_inbox(
        self, tenant_id: str, event_type: str | None, limit: int, after_key: str | None
    ) -> tuple[list[StoredEvent], str | None]:
        """One page of pending events, oldest first; returns (events, last sort key or None)."""
        if event_type is None:
            index, part_attr, part = INBOX_INDEX, "inbox_pk", tenant_id
        else:
            index, part_attr = INBOX_TYPE_INDEX, "inbox_type_pk"
            part = type_partition(tenant_id, event_type)
        args: dict[str, Any] = {
            "TableName": self._settings.events_table,
            "IndexName": index,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": part_attr},
            "ExpressionAttributeValues": {":p": {"S": part}},
            "Limit": limit,
            "ScanIndexForward": True,
        }
        if after_key is not None:
            args["ExclusiveStartKey"] = {
                part_attr: {"S": part},
                "pk": {"S": tenant_id},
                "sk": {"S": after_key},
            }
        out = self._ddb.query(**args)
        events = [_from_item(item) for item in out.get("Items", [])]
        last = out.get("LastEvaluatedKey")
        return events, (None if last is None else str(last["sk"]["S"]))

    # -- ack ----------------------------------------------------------------------------------
    def ack(self, tenant_id: str, event_id: str) -> bool:
        """Mark delivered and drop from the inbox; False when the tenant has no such event."""
        try:
            self._ddb.update_item(
                TableName=self._settings.events_table,
                Key={"pk": {"S": tenant_id}, "sk": {"S": event_id}},
                UpdateExpression="SET #s = :d, acked_at = if_not_exists(acked_at, :now) "
                "REMOVE inbox_pk, inbox_type_pk",
                ConditionExpression="attribute_exists(sk)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":d": {"S": "delivered"}, ":now": {"S": utc_now_iso()}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
