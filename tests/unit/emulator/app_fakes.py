"""An in-memory stand-in for EventStore, so handler tests need no backend."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from emulator.app.core import HttpRequest
from emulator.app.keys import hash_api_key
from emulator.app.store import (
    MAX_ITEM_BYTES,
    EventStore,
    IdempotencyClaim,
    StoredEvent,
    event_item,
    item_size_bytes,
)


def _validation_error(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "PutItem")


KEYS = {"key-a": "tenant-a", "key-b": "tenant-b"}


class FakeStore:
    """Same methods as EventStore; records calls. Refuses what DynamoDB refuses: items over
    400 KB (UTF-8) and text that is not valid Unicode."""

    stored_size_bytes = EventStore.stored_size_bytes

    def __init__(self) -> None:
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.idem: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.enqueued: list[str] = []
        self.key_lookups = 0
        self.fail_enqueue = False
        #: Raised by put_event once (a crash between the write and the enqueue, say).
        self.crash_after_put: BaseException | None = None

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        self.key_lookups += 1
        for key, tenant in KEYS.items():
            if hash_api_key(key) == key_hash:
                return tenant
        return None

    def put_event(
        self,
        tenant_id,
        event_id,
        event_type,
        timestamp,
        payload_json,
        correlation_id,
        idempotency_key=None,
    ):
        import json

        item = event_item(tenant_id, event_id, event_type, timestamp, payload_json, "c", "r")
        try:
            size = item_size_bytes(item)
        except UnicodeEncodeError as exc:
            raise _validation_error("invalid UTF-8") from exc
        if size > MAX_ITEM_BYTES:
            raise _validation_error("Item size has exceeded the maximum allowed size")
        if (tenant_id, event_id) in self.events:
            raise ClientError(
                {"Error": {"Code": "ConditionalCheckFailedException", "Message": ""}}, "PutItem"
            )
        self.events[(tenant_id, event_id)] = {
            "event_type": event_type,
            "timestamp": timestamp,
            "payload": json.loads(payload_json),
            "pending": True,
        }
        if self.crash_after_put is not None:
            crash, self.crash_after_put = self.crash_after_put, None
            raise crash
        return "2026-01-01T00:00:00.000Z"

    def claim_idempotency_key(self, tenant_id, key, event_id, fingerprint):
        earlier = self.idem.get((tenant_id, key))
        if earlier is None:
            self.idem[(tenant_id, key)] = (event_id, fingerprint)
            return None
        return IdempotencyClaim(*earlier)

    def event_exists(self, tenant_id, event_id):
        return (tenant_id, event_id) in self.events

    def enqueue(self, tenant_id, event_id, event_type, correlation_id):
        if self.fail_enqueue:
            raise RuntimeError("queue down")
        self.enqueued.append(event_id)

    def query_inbox(self, tenant_id, event_type, limit, after_key):
        rows = sorted(
            (eid, e)
            for (t, eid), e in self.events.items()
            if t == tenant_id
            and e["pending"]
            and (event_type is None or e["event_type"] == event_type)
            and (after_key is None or eid > after_key)
        )
        page = rows[:limit]
        events = [
            StoredEvent(
                eid, e["event_type"], e["timestamp"], "2026-01-01T00:00:00.000Z", e["payload"]
            )
            for eid, e in page
        ]
        last = page[-1][0] if len(page) == limit else None
        return events, last

    def ack(self, tenant_id, event_id):
        event = self.events.get((tenant_id, event_id))
        if event is None:
            return False
        event["pending"] = False
        return True


def request(
    method: str,
    path: str,
    body: bytes = b"",
    key: str | None = "key-a",
    query: dict[str, str] | None = None,
    **headers: str,
) -> HttpRequest:
    h = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    if key is not None:
        h["x-api-key"] = key
    h.setdefault("content-type", "application/json")
    return HttpRequest(method, path, h, query or {}, body)
