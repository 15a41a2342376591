"""DynamoDB item sizes by AWS's rules, from the DynamoDB JSON of a request or response.

Units per request, buckets and the auto scaler are shared with the model
(:mod:`scaling_lab.aws.dynamodb`); this module only measures items, which the model never
sees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["attribute_value_size", "item_size_bytes"]

# Item size = sum of the UTF-8 lengths of attribute names and values; numbers ~ 1 byte per two
# significant digits + 1; binary its length; null/boolean 1 byte; list/map 3 bytes + 1 byte per
# element + the elements -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits.rstrip("0") or "0") + 1) // 2 + 1


def attribute_value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB JSON (``{"S": "..."}``, ``{"N": "1"}``, ...)."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        return _number_size(str(v))
    if kind == "B":
        return len(v) if isinstance(v, bytes | bytearray) else math.ceil(len(str(v)) * 3 / 4)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in v)
    if kind == "NS":
        return sum(_number_size(str(s)) for s in v)
    if kind == "BS":
        return sum(attribute_value_size({"B": b}) for b in v)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_value_size(e) for k, e in v.items())
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def item_size_bytes(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Size of an item in DynamoDB JSON by AWS's rules (names + values)."""
    return sum(len(name.encode()) + attribute_value_size(v) for name, v in item.items())
