"""Opaque, tamper-evident inbox cursors: base64url JSON position + HMAC-SHA256 signature.

A cursor is bound to the tenant and the ``event_type`` filter it was issued for, so it cannot
be replayed by another tenant or with another filter; any change to it answers 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from emulator.app.errors import ApiError

__all__ = ["CURSOR_PATTERN", "decode_cursor", "encode_cursor"]

_SIG_BYTES = 16
#: What a cursor looks like (body "." 22-character signature), or empty for the first page.
CURSOR_PATTERN = r"^([A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{22})?$"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()[:_SIG_BYTES])


def encode_cursor(secret: bytes, tenant_id: str, event_type: str | None, last_key: str) -> str:
    """Cursor for the page after ``last_key`` (the sort key of the last event returned)."""
    body = _b64(json.dumps({"t": tenant_id, "e": event_type, "k": last_key}).encode())
    return f"{body}.{_sign(secret, body)}"


def decode_cursor(secret: bytes, cursor: str, tenant_id: str, event_type: str | None) -> str:
    """The ``last_key`` inside a cursor; ApiError 400 when forged, altered or reused elsewhere."""
    invalid = ApiError(400, "invalid_cursor", "cursor is invalid or was altered")
    body, sep, sig = cursor.partition(".")
    if not sep or len(cursor) > 1024 or not cursor.isascii():
        raise invalid
    if not hmac.compare_digest(_sign(secret, body), sig):
        raise invalid
    try:
        data = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("k"), str):
        raise invalid
    if data.get("t") != tenant_id or data.get("e") != event_type:
        raise ApiError(400, "invalid_cursor", "cursor was issued for another query")
    return str(data["k"])
