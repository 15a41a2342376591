"""The emulator governor's metrics document (``GET /_governor/metrics``), one typed model for
the side that serves it (``emulator.governor``) and the side that reads it (``observe``).

Fields a reader does not need default, so a document from an older governor still reads.
Shape and meaning: docs/emulation.md ("The metrics endpoint").
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scaling_lab.scenario.models import Fault

__all__ = [
    "FaultRecord",
    "GovernorMetrics",
    "GovernorState",
    "ScalingAction",
    "ScalingDatapoint",
]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FaultRecord(_Doc):
    """One fault of the run's journal."""

    index: int = 0
    fault: Fault
    applied_epoch_s: float | None = None
    rolled_back_epoch_s: float | None = None
    affected_calls: int = 0


class ScalingAction(_Doc):
    """An auto-scaling decision the governor applied with ``UpdateTable``."""

    dimension: str  # wcu | rcu
    direction: str  # out | in
    to_units: float
    decided_t_s: float
    effective_t_s: float
    applied_t_s: float | None = None
    applied_epoch_s: float | None = None


class ScalingDatapoint(_Doc):
    """One datapoint an auto scaler's alarms saw (run time)."""

    start_t_s: float
    end_t_s: float
    consumed_per_s: float
    seen_t_s: float
    utilization: float


class GovernorState(_Doc):
    """Capacity in force when the document was served (None: on-demand table)."""

    lambda_busy: int = 0
    lambda_environments: int = 0
    lambda_cap: float | None = None
    provisioned_wcu: float | None = None
    provisioned_rcu: float | None = None


class GovernorMetrics(_Doc):
    """Per-second figures (``{"epoch_s": n, figure: value}``, figure names of
    :class:`scaling_lab.aws.metrics.Figure`), totals and journals of an emulated run."""

    function_name: str = ""
    table: str = ""
    queue: str = ""
    t0_epoch_s: float | None = None
    scale: float = 1.0
    seconds: list[dict[str, float]] = Field(default_factory=list)
    totals: dict[str, float] = Field(default_factory=dict)
    throttles_by_cause: dict[str, int] = Field(default_factory=dict)
    faults: list[FaultRecord] = Field(default_factory=list)
    scaling_actions: list[ScalingAction] = Field(default_factory=list)
    scaling_datapoints: dict[str, list[ScalingDatapoint]] = Field(default_factory=dict)
    cloudwatch_publish_failures: int = 0
    state: GovernorState = Field(default_factory=GovernorState)
