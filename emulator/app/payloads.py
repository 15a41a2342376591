"""Request bodies in and stored payloads out: strict JSON (RFC 8259), measured as stored.

Python's :mod:`json` reads ``NaN``, ``Infinity`` and ``1e999`` (as ``inf``) and writes them back
as the same non-JSON tokens, so a payload carrying one would break the tenant's inbox for every
standard client; :func:`parse_json_body` refuses them. It also refuses unpaired UTF-16
surrogates (``"\\ud800"``), which no UTF-8 store can hold. :func:`encode_payload` writes UTF-8
text as is (``ensure_ascii=False``): escaping every non-ASCII character as ``\\uXXXX`` would
make a payload up to six times larger in storage than on the wire.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from emulator.app.errors import ApiError, FieldError

__all__ = ["encode_payload", "fingerprint", "parse_json_body"]


class _NotJson(ValueError):
    """A number or constant JSON (RFC 8259) does not have or we cannot store."""


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number (RFC 8259); send a finite number or a string")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"number {text[:40]} is out of range (beyond +-1.8e308)")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse_json_body(body: bytes) -> Any:
    """The decoded body; :class:`ApiError` 400 for anything that is not storable JSON."""
    try:
        data = json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NotJson as exc:
        raise ApiError(
            400, "validation_error", "invalid number", [FieldError("body", str(exc))]
        ) from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", "body is not valid JSON") from exc
    if _has_lone_surrogate(data):
        raise ApiError(
            400,
            "validation_error",
            "invalid text",
            [FieldError("body", "contains an unpaired UTF-16 surrogate escape (not Unicode text)")],
        )
    return data


def encode_payload(payload: Any) -> str:
    """Compact JSON of a parsed payload, non-ASCII text kept as UTF-8 (what is stored)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def fingerprint(event_type: str, timestamp: str, payload: Any) -> str:
    """Digest of what an event request asks to store; equal for equal events whatever the key
    order or whitespace of the JSON that carried them."""
    canonical = json.dumps(
        [event_type, timestamp, payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
