"""Settings of the governor (``SCALING_LAB_GOVERNOR``, JSON); the AWS side is the SystemConfig."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from scaling_lab.scenario.models import Fault

__all__ = ["ENV_VAR", "GovernorSettings"]

#: Environment variable of the API process holding :class:`GovernorSettings` as JSON.
ENV_VAR = "SCALING_LAB_GOVERNOR"


class GovernorSettings(BaseModel):
    """How the governor runs; every capacity comes from the system file (times ``scale``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Multiplies every rate and capacity of the system (``--scale k``); 1 when the stack
    #: already passes ``scale_system(system, k)`` as the app's ``system_json``.
    scale: float = Field(1.0, gt=0)
    seed: int = Field(42, ge=0)
    #: The scenario's fault timeline (run time from the start mark, see docs/emulation.md).
    faults: list[Fault] = Field(default_factory=list)
    #: Lambda function name used as the CloudWatch FunctionName dimension.
    function_name: str = "triggers-api"
    #: CloudWatch endpoint; None: the app's SQS endpoint (embedded and LocalStack share it).
    cloudwatch_endpoint: str | None = None
    publish: bool = True
    publish_interval_s: float = Field(5.0, gt=0)
    tick_s: float = Field(0.2, gt=0, le=1)
    control_prefix: str = "/_governor/"
    #: Paths served without the gate (the stack's health probe is not an invocation).
    exempt_paths: tuple[str, ...] = ("/healthz",)
    #: Whether the table starts with its full burst credit (300 s of provisioned capacity).
    #: ASSUMPTION shared with the model: the table was idle before the run.
    burst_credit_full: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> GovernorSettings:
        """From :data:`ENV_VAR`, or the defaults when it is not set."""
        env = os.environ if environ is None else environ
        raw = env.get(ENV_VAR)
        return cls() if not raw else cls.model_validate_json(raw)

    def to_env(self) -> dict[str, str]:
        """The environment entry carrying these settings into the API process."""
        return {ENV_VAR: self.model_dump_json()}
