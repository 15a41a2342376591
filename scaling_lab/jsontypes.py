"""Types of JSON-shaped data crossing package boundaries (parsed YAML, manifests, templates),
so no ``Any`` leaks out of the module that builds or reads them."""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["JsonObject", "JsonValue"]

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"
