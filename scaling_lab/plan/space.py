"""The configuration space a plan searches: dimensions over system-file fields.

A dimension is a range (``--range path=lo:hi:step``, numeric, where more is never worse: the
search bisects it) or a choice (``--choice path=a,b``, enumerated). Several paths may share a
dimension (``dynamodb.write.provisioned,dynamodb.write.auto_scaling.min=8000:12000:50``: one
value set at both), as a system file keeps its provisioned level and auto-scaling minimum
together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import yaml

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonValue
from scaling_lab.scenario.loader import parse_yaml_value

__all__ = ["Dimension", "parse_choice", "parse_range", "range_values"]

#: A range with more values than this is refused (a typo in the step, not a plan).
MAX_VALUES = 100_000


@dataclass(frozen=True)
class Dimension:
    paths: tuple[str, ...]  # system-file key paths, all set to the value
    values: tuple[JsonValue, ...]  # ascending for a range; as given for a choice
    monotone: bool  # a range: more is never worse (bisected)

    @property
    def name(self) -> str:
        return ",".join(self.paths)

    def overrides(self, value: JsonValue) -> list[str]:
        """``--set`` strings putting ``value`` at every path."""
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        return [f"{p}={text}" for p in self.paths]


def _split(text: str, option: str) -> tuple[tuple[str, ...], str]:
    left, sep, right = text.partition("=")
    paths = tuple(p.strip() for p in left.split(","))
    if not sep or not all(paths) or not all(all(k for k in p.split(".")) for p in paths):
        raise InputError(f"{option} {text!r}: expected path[,path...]=...")
    return paths, right.strip()


def _number(raw: str, option: str, text: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{option} {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{option} {text!r}: {raw!r} is not a finite number")
    return value


def range_values(lo: float, hi: float, step: float) -> tuple[JsonValue, ...]:
    """``lo, lo + step, ... <= hi`` (integers stay integers); a ``ValueError`` says what is
    wrong with the bounds, for the caller to name its option or field."""
    if step <= 0 or hi < lo:
        raise ValueError("needs lo <= hi and step > 0")
    count = math.floor((hi - lo) / step + 1e-9) + 1
    if count > MAX_VALUES:
        raise ValueError(f"{count:,} values; at most {MAX_VALUES:,}")
    integer = all(float(x).is_integer() for x in (lo, hi, step))
    return tuple(int(lo + i * step) if integer else round(lo + i * step, 9) for i in range(count))


def parse_range(text: str) -> Dimension:
    """``path=lo:hi:step`` (inclusive; integers stay integers)."""
    paths, spec = _split(text, "--range")
    parts = spec.split(":")
    if len(parts) != 3:
        raise InputError(f"--range {text!r}: expected lo:hi:step, e.g. 8000:12000:50")
    lo, hi, step = (_number(p, "--range", text) for p in parts)
    try:
        values = range_values(lo, hi, step)
    except ValueError as exc:
        raise InputError(f"--range {text!r}: {exc}") from None
    return Dimension(paths, values, monotone=True)


def parse_choice(text: str) -> Dimension:
    """``path=a,b,c`` (each value read as YAML)."""
    paths, spec = _split(text, "--choice")
    raw = [v.strip() for v in spec.split(",")]
    if not all(raw):
        raise InputError(f"--choice {text!r}: expected path=a,b[,c...]")
    values = tuple(parse_yaml_value(v, f"--choice {text!r}") for v in raw)
    return Dimension(paths, values, monotone=False)
