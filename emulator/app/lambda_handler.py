"""The Triggers API as an AWS Lambda handler (Function URL / API Gateway HTTP API v2 payload).

Configure the function with handler ``emulator.app.lambda_handler.handler`` and the
``SCALING_LAB_APP_SETTINGS`` environment variable (JSON of AppSettings). Clients are built
once per execution environment (the cold start) and reused by every invocation.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from emulator.app.clients import build_clients
from emulator.app.core import HttpRequest, TriggersApi
from emulator.app.settings import AppSettings
from emulator.app.store import EventStore

__all__ = ["from_lambda_event", "handler", "to_lambda_response"]

_api: TriggersApi | None = None


def _get_api() -> TriggersApi:
    global _api
    if _api is None:
        settings = AppSettings.from_env()
        _api = TriggersApi(settings, EventStore(settings, build_clients(settings)))
    return _api


def from_lambda_event(event: dict[str, Any]) -> HttpRequest:
    """Payload format 2.0 -> request (headers lower-cased; body base64-decoded when flagged)."""
    http = event.get("requestContext", {}).get("http", {})
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    return HttpRequest(
        method=str(http.get("method", "GET")),
        path=str(event.get("rawPath") or http.get("path") or "/"),
        headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
        query=dict(event.get("queryStringParameters") or {}),
        body=body,
    )


def to_lambda_response(status: int, headers: dict[str, str], body: Any) -> dict[str, Any]:
    """Response in payload format 2.0."""
    return {
        "statusCode": status,
        "headers": headers,
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def handler(event: dict[str, Any], context: Any, api: TriggersApi | None = None) -> dict[str, Any]:
    """Lambda entry point."""
    resp = (api or _get_api()).handle(from_lambda_event(event))
    return to_lambda_response(resp.status, resp.headers, resp.body)
