"""Types of JSON-shaped data crossing package boundaries (parsed YAML, manifests, templates),
so no ``Any`` leaks out of the module that builds or reads them, and :func:`parse_json`, the
one parse of a JSON file's text (results, plans, journals, Terraform plans)."""

from __future__ import annotations

import json
import sys
from typing import TypeAlias

__all__ = ["JsonObject", "JsonValue", "parse_json"]

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"


def parse_json(text: str | bytes) -> JsonValue:
    """``json.loads(text)``; what Python's parser cannot take (nesting past the recursion
    limit, an integer of more than 4,300 digits) is a one-line :class:`ValueError` like any
    other malformed JSON, never a ``RecursionError`` reaching the user."""
    try:
        value: JsonValue = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # the int() digit limit (CVE-2020-10735)
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            raise ValueError(f"an integer of more than {limit:,} digits") from None
        raise
    return value
