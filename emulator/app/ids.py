"""Event ids that sort by creation time: ``evt_`` + a 26-character ULID (Crockford base32)."""

from __future__ import annotations

import os
import re
import time

__all__ = ["EVENT_ID_RE", "new_event_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EVENT_ID_RE = re.compile(r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")


def new_event_id(now_ms: int | None = None, randomness: bytes | None = None) -> str:
    """A new id: 48-bit milliseconds since the epoch then 80 random bits, so ids sort by time."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = os.urandom(10) if randomness is None else randomness
    value = (ms << 80) | int.from_bytes(rand, "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "evt_" + "".join(reversed(chars))
