"""Durations in files are strings like "30s", "2m", "1h30m", "250ms"; parsed here and only here."""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | int | float) -> float:
    """Return seconds for a k6-style duration ("30s", "2m", "1m30s", "250ms").

    A bare number is taken as seconds. Raises ValueError with the offending text.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration like '30s' or '2m', got {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"duration must not be negative, got {text}")
        return float(text)
    s = text.strip().lower()
    if not s:
        raise ValueError("expected a duration like '30s' or '2m', got an empty string")
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        if value < 0:
            raise ValueError(f"duration must not be negative, got {text!r}")
        return value
    pos, total = 0, 0.0
    for match in _PART.finditer(s):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if pos != len(s) or pos == 0:
        raise ValueError(f"expected a duration like '30s', '2m' or '1m30s', got {text!r}")
    return total


def format_duration(seconds: float) -> str:
    """Format seconds the way k6 accepts them: 90 -> "1m30s", 0.25 -> "250ms"."""
    if seconds < 0:
        raise ValueError(f"duration must not be negative, got {seconds}")
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or not out:
        out += f"{secs}s"
    return out
