"""DynamoDB capacity arithmetic and buckets: item sizes, WCU/RCU per request, burst, on-demand.

Pure: every method takes the current time ``now_s`` (seconds, any origin); nothing here reads
the clock, sleeps or locks. :mod:`emulator.governor.ddb` applies it to real requests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "OnDemandCapacity",
    "ProvisionedCapacity",
    "TokenBucket",
    "attribute_value_size",
    "item_size_bytes",
    "read_units",
    "write_units",
]

# Item size = sum of the UTF-8 lengths of attribute names and values; numbers ~ 1 byte per two
# significant digits + 1; binary its length; null/boolean 1 byte; list/map 3 bytes + 1 byte per
# element + the elements -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
# One WCU writes up to 1 KB; one RCU reads up to 4 KB strongly consistent, or twice that
# eventually consistent (0.5 RCU) -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


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


def write_units(size_bytes: int) -> int:
    """WCU of one write of an item of ``size_bytes`` (1 KB units, at least 1)."""
    return max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))


def read_units(size_bytes: int, consistent: bool) -> float:
    """RCU of reading ``size_bytes`` (4 KB units, at least 1; half when eventually consistent).

    For Query and Scan the sizes of all items read are summed first, then rounded up once.
    """
    units = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


@dataclass
class TokenBucket:
    """Refills at ``rate_per_s`` up to ``capacity``; ``level`` may not go below zero."""

    rate_per_s: float
    capacity: float
    level: float = 0.0
    last_s: float | None = None

    def __post_init__(self) -> None:
        if self.rate_per_s < 0 or self.capacity <= 0:
            raise ValueError(f"bucket needs rate >= 0 and capacity > 0, got {self}")
        self.level = min(self.level, self.capacity)

    def refill(self, now_s: float) -> None:
        """Add what accrued since the last call."""
        if self.last_s is not None and now_s > self.last_s:
            self.level = min(self.capacity, self.level + (now_s - self.last_s) * self.rate_per_s)
        if self.last_s is None or now_s > self.last_s:
            self.last_s = now_s

    def try_take(self, n: float, now_s: float) -> bool:
        """Take ``n`` tokens if present (after refilling); False leaves the level unchanged."""
        self.refill(now_s)
        if self.level + 1e-9 >= n:
            self.level -= n
            return True
        return False

    def reconfigure(self, rate_per_s: float, capacity: float, now_s: float) -> None:
        """Change rate and capacity, keeping the tokens accrued so far (clipped)."""
        self.refill(now_s)
        self.rate_per_s = rate_per_s
        self.capacity = max(capacity, 1e-9)
        self.level = min(self.level, self.capacity)


@dataclass
class ProvisionedCapacity:
    """One capacity dimension (write or read) of a provisioned table.

    A token bucket at the provisioned rate holding up to ``burst_window_s`` of unused capacity
    (burst capacity -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html),
    behind a per-second ceiling of ``partitions x partition_units`` (a partition serves at most
    1,000 WCU / 3,000 RCU per second, same page). The bucket starts with ``initial_burst_s`` of
    credit; 0 by default (ASSUMPTION: the table was provisioned when the run started).
    """

    provisioned: float
    burst_window_s: float
    ceiling_per_s: float
    initial_burst_s: float = 0.0
    bucket: TokenBucket = field(init=False)
    ceiling: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        if self.provisioned <= 0:
            raise ValueError("provisioned capacity must be > 0")
        self.bucket = TokenBucket(
            self.provisioned,
            max(self.provisioned * self.burst_window_s, self.provisioned),
            level=self.provisioned * self.initial_burst_s,
        )
        self.ceiling = TokenBucket(self.ceiling_per_s, self.ceiling_per_s, level=self.ceiling_per_s)

    def try_consume(self, units: float, now_s: float) -> bool:
        """Admit a request of ``units`` or refuse it (a throttle); admitted units are charged."""
        self.ceiling.refill(now_s)
        self.bucket.refill(now_s)
        if self.ceiling.level + 1e-9 < units or self.bucket.level + 1e-9 < units:
            return False
        self.ceiling.level -= units
        self.bucket.level -= units
        return True

    def charge(self, units: float, now_s: float) -> None:
        """Charge units known only after the fact (reads); the level may go negative (debt)."""
        self.ceiling.refill(now_s)
        self.bucket.refill(now_s)
        self.ceiling.level -= units
        self.bucket.level -= units

    def has_capacity(self, now_s: float) -> bool:
        """True when a request of unknown size would be admitted (positive balance)."""
        self.ceiling.refill(now_s)
        self.bucket.refill(now_s)
        return self.ceiling.level > 0 and self.bucket.level > 0

    def set_provisioned(self, provisioned: float, now_s: float) -> None:
        """New provisioned rate (UpdateTable took effect); accrued burst credit is kept."""
        self.provisioned = provisioned
        self.bucket.reconfigure(
            provisioned, max(provisioned * self.burst_window_s, provisioned), now_s
        )


@dataclass
class OnDemandCapacity:
    """On-demand mode: instantly up to double the previous peak, never below the warm level.

    "On-demand capacity mode instantly accommodates up to double the previous peak traffic on a
    table"; a new table sustains ``warm_units`` (4,000 WCU / 12,000 RCU) -- and a new peak is
    established after ``peak_settle_s`` (30 min) --
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html
    """

    warm_units: float
    peak_settle_s: float = 1800.0
    factor: float = 1.0  # < 1 while a throttle storm forces the limit down
    previous_peak: float = field(init=False)
    _second: int | None = field(default=None, init=False)
    _used: float = field(default=0.0, init=False)
    _peaks: list[tuple[float, float]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.previous_peak = self.warm_units / 2

    @property
    def provisioned(self) -> float:
        """The per-second rate served without throttling right now."""
        return 2 * self.previous_peak * self.factor

    def _roll(self, now_s: float) -> None:
        sec = math.floor(now_s)
        if self._second is None:
            self._second = sec
        if sec != self._second:
            self._peaks.append((self._second, self._used))
            self._second, self._used = sec, 0.0
        while self._peaks and self._peaks[0][0] + self.peak_settle_s <= now_s:
            _, used = self._peaks.pop(0)
            self.previous_peak = max(self.previous_peak, used)

    def try_consume(self, units: float, now_s: float) -> bool:
        """Admit ``units`` in this second if under twice the previous peak."""
        self._roll(now_s)
        if self._used + units > self.provisioned + 1e-9:
            return False
        self._used += units
        return True

    def charge(self, units: float, now_s: float) -> None:
        """Charge units known only after the request ran."""
        self._roll(now_s)
        self._used += units

    def has_capacity(self, now_s: float) -> bool:
        """True while this second's consumption is under the limit."""
        self._roll(now_s)
        return self._used < self.provisioned
