"""What the botocore hooks need from the governor: a small Protocol, so the hooks do not
depend on the class that wires them (and the governor can be replaced in a test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from emulator.governor.faults import FaultTimeline
from emulator.governor.metrics import SecondCounters
from scaling_lab.aws import ThrottleReason
from scaling_lab.system.models import SystemConfig

__all__ = ["HookHost"]


class HookHost(Protocol):
    """The governor as the DynamoDB and SQS hooks see it."""

    system: SystemConfig
    counters: SecondCounters
    timeline: FaultTimeline
    clock: Callable[[], float]

    @property
    def on_demand(self) -> bool: ...

    def run_time(self, now: float) -> float: ...

    def chance(self, p: float) -> bool: ...

    def write_refusal(
        self, units: float, now: float, key: str | None = None
    ) -> ThrottleReason | None: ...

    def read_refusal(self, now: float, key: str | None = None) -> ThrottleReason | None: ...

    def charge_read(self, units: float, now: float, key: str | None = None) -> None: ...
