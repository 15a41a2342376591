"""What-if without editing files: ``--set lambda.reserved_concurrency=900`` on a loaded system.

Each override is ``dotted.path=value``; the value is read as YAML (``900``, ``0.5``, ``true``,
``on_demand``, ``{provisioned: 500}``), set at the path of the system's file form (the keys a
system file uses), and the whole system is validated again as a file would be, so a bad
override gets the same one-line error naming ``--set`` and the field.
"""

from __future__ import annotations

from collections.abc import Iterable

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.scenario.loader import model_from_data, parse_yaml_value
from scaling_lab.system.models import SystemConfig

__all__ = ["apply_overrides", "parse_override"]


def parse_override(text: str) -> tuple[list[str], JsonValue]:
    """``"a.b=3"`` -> (["a", "b"], 3); InputError naming --set when malformed."""
    path, sep, raw = text.partition("=")
    keys = [k.strip() for k in path.split(".")]
    if not sep or not all(keys):
        raise InputError(f"--set {text!r}: expected dotted.path=value, e.g. lambda.memory_mb=1024")
    if not raw.strip():  # a lost shell variable, not a wish to clear the field
        raise InputError(f"--set {text!r}: no value after '='; write {path}=null to unset it")
    return keys, parse_yaml_value(raw, f"--set {path}")


def _set(doc: JsonObject, keys: list[str], value: JsonValue, text: str) -> None:
    node: JsonObject = doc
    for i, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            where = ".".join(keys[: i + 1])
            raise InputError(f"--set {text}: {where} is a value, not a section")
        node = child
    node[keys[-1]] = value


def apply_overrides(system: SystemConfig, overrides: Iterable[str]) -> SystemConfig:
    """A copy of ``system`` with every override applied, validated as a system file."""
    items = list(overrides)
    if not items:
        return system
    # the file form: only what the file set, so defaults and "was it set" stay as they were
    doc: JsonObject = system.model_dump(mode="json", by_alias=True, exclude_unset=True)
    for text in items:
        keys, value = parse_override(text)
        _set(doc, keys, value, text.partition("=")[0])
    return model_from_data(doc, "--set", SystemConfig)
