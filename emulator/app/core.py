"""The Triggers API's handlers, independent of how a request arrives (Lambda event or ASGI).

:class:`TriggersApi.handle` takes an :class:`HttpRequest` and always returns an
:class:`HttpResponse`: bad input is a 4xx with a JSON error body, never an exception.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from emulator.app.cursor import decode_cursor, encode_cursor
from emulator.app.errors import ApiError, FieldError
from emulator.app.ids import EVENT_ID_RE, new_event_id
from emulator.app.keys import ApiKeyResolver
from emulator.app.models import EVENT_TYPE_PATTERN, EventIn
from emulator.app.openapi import openapi_document
from emulator.app.payloads import encode_payload, fingerprint, parse_json_body
from emulator.app.settings import AppSettings
from emulator.app.store import MAX_ITEM_BYTES, EventStore

__all__ = ["HttpRequest", "HttpResponse", "TriggersApi"]

log = logging.getLogger("emulator.app")

_CORRELATION_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_IDEMPOTENCY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
_EVENT_TYPE_RE = re.compile(EVENT_TYPE_PATTERN)
_ACK_RE = re.compile(r"/v1/events/([^/]+)/ack")
_LIMIT_RE = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit() also takes "²"
_THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


@dataclass(frozen=True)
class HttpRequest:
    """A request, whatever transport carried it. Header names are lower case."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class HttpResponse:
    """A response; ``body`` is JSON-serialisable."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        """The body encoded as compact JSON."""
        return json.dumps(self.body, separators=(",", ":")).encode()


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, body, {"content-type": "application/json"})


class TriggersApi:
    """Routes requests to the handlers. Thread-safe; build once per process (cold start)."""

    def __init__(
        self,
        settings: AppSettings,
        store: EventStore,
        new_id: Callable[[], str] = new_event_id,
    ) -> None:
        self._settings = settings
        self._store = store
        self._new_id = new_id
        self._secret = settings.cursor_secret.encode()
        self._keys = ApiKeyResolver(store.tenant_for_key_hash, settings.api_key_cache_ttl_s)

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request; never raises."""
        correlation_id = request.headers.get("x-correlation-id", "")
        if not _CORRELATION_RE.fullmatch(correlation_id):
            correlation_id = uuid.uuid4().hex
        try:
            response = self._route(request, correlation_id)
        except ApiError as err:
            response = _json(err.status, err.body())
            response.headers.update(err.headers)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _THROTTLING_CODES:
                response = _json(503, ApiError(503, "throttled", "backend throttled").body())
                response.headers["retry-after"] = "1"
            else:
                log.error("backend error %s (correlation %s)", code, correlation_id)
                response = _json(502, ApiError(502, "backend_error", code or "error").body())
        except BotoCoreError as exc:
            log.error(
                "backend unreachable: %s (correlation %s)", type(exc).__name__, correlation_id
            )
            response = _json(
                503, ApiError(503, "backend_unavailable", "backend unavailable").body()
            )
        except Exception:  # a defect: still a JSON body, and logged with its traceback
            log.exception("unhandled error (correlation %s)", correlation_id)
            response = _json(500, ApiError(500, "internal_error", "internal error").body())
        response.headers["x-correlation-id"] = correlation_id
        return response

    # -- routing ------------------------------------------------------------------------------
    def _route(self, req: HttpRequest, correlation_id: str) -> HttpResponse:
        path = req.path.rstrip("/") or "/"
        if path == "/v1/events":
            self._allow(req, "POST")
            return self._post_event(req, correlation_id)
        if path == "/v1/inbox":
            self._allow(req, "GET")
            return self._get_inbox(req)
        ack = _ACK_RE.fullmatch(path)
        if ack:
            self._allow(req, "POST")
            return self._ack(req, ack.group(1))
        if path == "/openapi.json":
            self._allow(req, "GET")
            return _json(200, openapi_document())
        if path == "/healthz":
            self._allow(req, "GET")
            return _json(200, {"status": "ok"})
        raise ApiError(404, "not_found", f"no route {req.path}")

    @staticmethod
    def _allow(req: HttpRequest, method: str) -> None:
        if req.method.upper() != method:
            raise ApiError(405, "method_not_allowed", f"use {method}", headers={"allow": method})

    def _tenant(self, req: HttpRequest) -> str:
        api_key = req.headers.get("x-api-key")
        if not api_key:
            raise ApiError(401, "unauthorized", "missing X-API-Key header")
        tenant = self._keys.resolve(api_key) if len(api_key) <= 256 else None
        if tenant is None:
            raise ApiError(401, "unauthorized", "unknown API key")
        return tenant

    # -- POST /v1/events ----------------------------------------------------------------------
    def _parse_event(self, req: HttpRequest) -> EventIn:
        if len(req.body) > self._settings.max_body_bytes:
            raise ApiError(
                413, "payload_too_large", f"body exceeds {self._settings.max_body_bytes} bytes"
            )
        ctype = req.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
        data = parse_json_body(req.body)
        if not isinstance(data, dict):
            raise ApiError(400, "validation_error", "body must be a JSON object")
        try:
            return EventIn.model_validate(data)
        except ValidationError as exc:
            details = [
                FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"])
                for e in exc.errors(include_url=False)
            ]
            raise ApiError(400, "validation_error", "invalid event", details) from exc

    def _post_event(self, req: HttpRequest, correlation_id: str) -> HttpResponse:
        """Store, then enqueue, then 202: a 202 means both happened.

        With an ``Idempotency-Key`` a retry of a request that stopped anywhere on the way (a
        crash between the two writes, a lost answer) finishes what is missing: the event is
        stored once under the first request's id and its delivery message is sent again (SQS
        standard queues deliver at least once anyway; the consumer records deliveries by event
        id). The same key with a different event is a 409.
        """
        tenant = self._tenant(req)
        event = self._parse_event(req)
        idem_key = req.headers.get("idempotency-key")
        if idem_key is not None and not _IDEMPOTENCY_RE.fullmatch(idem_key):
            raise ApiError(
                400,
                "validation_error",
                "invalid Idempotency-Key",
                [FieldError("Idempotency-Key", "1-255 printable ASCII characters")],
            )
        payload_json = encode_payload(event.payload)
        timestamp = event.timestamp.isoformat()
        event_id = self._new_id()
        size = self._store.stored_size_bytes(
            tenant, event_id, event.event_type, timestamp, payload_json, correlation_id, idem_key
        )
        if size > MAX_ITEM_BYTES:
            raise ApiError(
                413,
                "payload_too_large",
                f"event would be stored as {size} bytes; the limit is {MAX_ITEM_BYTES} "
                "(DynamoDB's item size, counted in UTF-8)",
            )
        duplicate = False
        if idem_key is not None:
            digest = fingerprint(event.event_type, timestamp, event.payload)
            earlier = self._store.claim_idempotency_key(tenant, idem_key, event_id, digest)
            if earlier is not None:
                if earlier.fingerprint is not None and earlier.fingerprint != digest:
                    raise ApiError(
                        409,
                        "idempotency_conflict",
                        "Idempotency-Key was already used for a different event",
                        [FieldError("Idempotency-Key", "use a new key for a new event")],
                    )
                event_id, duplicate = earlier.event_id, True
        if not (duplicate and self._store.event_exists(tenant, event_id)):
            try:
                self._store.put_event(
                    tenant,
                    event_id,
                    event.event_type,
                    timestamp,
                    payload_json,
                    correlation_id,
                    idem_key,
                )
            except ClientError as exc:
                # Only an idempotent retry racing its original can collide on the event id.
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        self._enqueue(tenant, event_id, event.event_type, correlation_id)
        return _json(202, {"event_id": event_id, "status": "pending", "duplicate": duplicate})

    def _enqueue(self, tenant: str, event_id: str, event_type: str, correlation_id: str) -> None:
        try:
            self._store.enqueue(tenant, event_id, event_type, correlation_id)
        except Exception as exc:
            log.warning("enqueue failed for %s: %s", event_id, type(exc).__name__)
            # Stored but not queued: not a 202. A retry with the same Idempotency-Key finishes
            # the enqueue without storing the event twice.
            raise ApiError(
                503,
                "enqueue_failed",
                "event stored but not queued for delivery; retry with the same Idempotency-Key",
                headers={"retry-after": "1"},
            ) from exc

    # -- GET /v1/inbox ------------------------------------------------------------------------
    def _get_inbox(self, req: HttpRequest) -> HttpResponse:
        tenant = self._tenant(req)
        problems: list[FieldError] = []
        raw_limit = req.query.get("limit", "50")
        limit = int(raw_limit) if _LIMIT_RE.fullmatch(raw_limit) else 0
        if not 1 <= limit <= 100:
            problems.append(FieldError("limit", "an integer from 1 to 100"))
        event_type = req.query.get("event_type")
        if event_type is not None and not _EVENT_TYPE_RE.fullmatch(event_type):
            problems.append(FieldError("event_type", f"must match {EVENT_TYPE_PATTERN}"))
        if problems:
            raise ApiError(400, "validation_error", "invalid query", problems)
        cursor = req.query.get("cursor") or None  # empty: the first page, as if absent
        after = None if cursor is None else decode_cursor(self._secret, cursor, tenant, event_type)
        events, last = self._store.query_inbox(tenant, event_type, limit, after)
        next_cursor = (
            None if last is None else encode_cursor(self._secret, tenant, event_type, last)
        )
        return _json(200, {"events": [e.to_json() for e in events], "next_cursor": next_cursor})

    # -- POST /v1/events/{id}/ack -------------------------------------------------------------
    def _ack(self, req: HttpRequest, event_id: str) -> HttpResponse:
        tenant = self._tenant(req)
        if not EVENT_ID_RE.fullmatch(event_id) or not self._store.ack(tenant, event_id):
            raise ApiError(404, "not_found", "no such event")
        return _json(200, {"event_id": event_id, "status": "delivered"})
