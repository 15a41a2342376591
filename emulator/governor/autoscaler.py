"""DynamoDB auto scaling (target tracking) as a pure state machine over 1-minute datapoints.

Target tracking creates two CloudWatch alarms on consumed capacity: scale out when 2
consecutive 1-minute datapoints are above the target utilisation, scale in when 15 are below
target - 20 points; the new capacity is consumed / target, within [min, max] --
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html
Decreases are limited per day: 4 at any time, then one more per hour without a decrease,
27 in all -- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
The delay from the alarm to the new capacity taking effect is ``actuation_delay_s`` (an
ASSUMPTION of the system file; AWS does not document it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from scaling_lab.system.models import AutoScaling

__all__ = ["AutoScaler", "Direction", "ScalingAction"]

_FREE_DECREASES = 4
_HOUR_S = 3600.0


class Direction(StrEnum):
    OUT = "scale_out"
    IN = "scale_in"


@dataclass(frozen=True)
class ScalingAction:
    """A decision taken at ``decided_s`` that takes effect at ``effective_s``."""

    direction: Direction
    decided_s: float
    effective_s: float
    from_units: float
    to_units: float
    utilization_pct: float


@dataclass
class AutoScaler:
    """Feed it one datapoint per ``settings.datapoint_s`` via :meth:`datapoint`."""

    settings: AutoScaling
    provisioned: float
    high_streak: int = 0
    low_streak: int = 0
    pending: ScalingAction | None = None
    decreases: int = 0
    last_decrease_s: float | None = None
    history: list[ScalingAction] = field(default_factory=list)

    def _target_units(self, consumed_per_s: float) -> float:
        want = math.ceil(consumed_per_s / (self.settings.target_utilization_pct / 100.0))
        return float(min(self.settings.max, max(self.settings.min, want)))

    def _may_decrease(self, now_s: float) -> bool:
        if self.decreases >= self.settings.scale_in_per_day:
            return False
        if self.decreases < _FREE_DECREASES:
            return True
        return self.last_decrease_s is None or now_s - self.last_decrease_s >= _HOUR_S

    def datapoint(self, end_s: float, consumed_units: float) -> ScalingAction | None:
        """One datapoint ending at ``end_s`` with ``consumed_units`` summed over it.

        Returns the action decided now (also kept in :attr:`pending`), or None.
        """
        s = self.settings
        consumed_per_s = consumed_units / s.datapoint_s
        utilization = 100.0 * consumed_per_s / self.provisioned
        if utilization > s.target_utilization_pct:
            self.high_streak += 1
        else:
            self.high_streak = 0
        if utilization < s.target_utilization_pct - s.scale_in_margin_pct:
            self.low_streak += 1
        else:
            self.low_streak = 0
        if not s.enabled or self.pending is not None:
            return None
        action: ScalingAction | None = None
        if self.high_streak >= s.scale_out_datapoints:
            to = self._target_units(consumed_per_s)
            if to > self.provisioned:
                action = ScalingAction(
                    Direction.OUT,
                    end_s,
                    end_s + s.actuation_delay_s,
                    self.provisioned,
                    to,
                    utilization,
                )
        elif self.low_streak >= s.scale_in_datapoints and self._may_decrease(end_s):
            to = self._target_units(consumed_per_s)
            if to < self.provisioned:
                action = ScalingAction(
                    Direction.IN,
                    end_s,
                    end_s + s.actuation_delay_s,
                    self.provisioned,
                    to,
                    utilization,
                )
        self.pending = action
        return action

    def due(self, now_s: float) -> ScalingAction | None:
        """The pending action if it takes effect by ``now_s`` (then applied to the state)."""
        act = self.pending
        if act is None or act.effective_s > now_s:
            return None
        self.pending = None
        self.provisioned = act.to_units
        self.high_streak = self.low_streak = 0
        if act.direction is Direction.IN:
            self.decreases += 1
            self.last_decrease_s = act.effective_s
        self.history.append(act)
        return act
