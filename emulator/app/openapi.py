"""The OpenAPI 3.1 document the app serves at ``/openapi.json``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from emulator.app.cursor import CURSOR_PATTERN
from emulator.app.models import EVENT_TYPE_PATTERN, AckOut, EventAccepted, EventIn, InboxPage

__all__ = ["openapi_document"]


def _schema(model: Any) -> dict[str, Any]:
    return dict(model.model_json_schema(ref_template="#/components/schemas/{model}"))


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


# Any value is accepted: one matching the pattern below is echoed, any other is replaced by a
# new id (so the header is never refused, and never echoed unsafely).
_CORRELATION = {
    "name": "X-Correlation-ID",
    "in": "header",
    "required": False,
    "description": "echoed when it matches ^[A-Za-z0-9._:\\-]{1,128}$, otherwise replaced",
    "schema": {"type": "string"},
}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The document (built once)."""
    schemas: dict[str, Any] = {}
    for model in (EventIn, EventAccepted, InboxPage, AckOut):
        schema = _schema(model)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    }
    unauthorized = _error("missing or unknown API key")
    # Every route calls DynamoDB; these are what a backend failure looks like to a client.
    backend = {
        "502": _error("the backend answered an error"),
        "503": _error(
            "backend throttled or unreachable (Retry-After); POST: or stored but "
            "not yet queued, retry with the same Idempotency-Key"
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Triggers API", "version": "1.0.0"},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
        "security": [{"apiKey": []}],
        "paths": {
            "/v1/events": {
                "post": {
                    "operationId": "createEvent",
                    "parameters": [
                        _CORRELATION,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 255,
                                "pattern": r"^[\x21-\x7e]{1,255}$",  # printable ASCII
                            },
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/EventIn"}}
                        },
                    },
                    "responses": {
                        "202": _ok("stored and queued for delivery", "EventAccepted"),
                        "400": _error("malformed JSON or invalid fields"),
                        "401": unauthorized,
                        "409": _error("Idempotency-Key already used for a different event"),
                        "413": _error("body, or the event as stored, too large"),
                        "415": _error("not JSON"),
                        **backend,
                    },
                }
            },
            "/v1/inbox": {
                "get": {
                    "operationId": "getInbox",
                    "parameters": [
                        _CORRELATION,
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "required": False,
                            "description": "next_cursor of the previous page: opaque and "
                            "signed, so one the server did not issue is a 400; empty: page 1",
                            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
                        },
                        {
                            "name": "event_type",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "pattern": EVENT_TYPE_PATTERN},
                        },
                    ],
                    "responses": {
                        "200": _ok("undelivered events, oldest first", "InboxPage"),
                        "400": _error("invalid query or cursor"),
                        "401": unauthorized,
                        **backend,
                    },
                }
            },
            "/v1/events/{event_id}/ack": {
                "post": {
                    "operationId": "ackEvent",
                    "parameters": [
                        _CORRELATION,
                        {
                            "name": "event_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": _ok("marked delivered (idempotent)", "AckOut"),
                        "401": unauthorized,
                        "404": _error("no such event for this tenant"),
                        **backend,
                    },
                }
            },
        },
    }
