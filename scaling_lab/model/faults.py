"""The scenario's fault timeline as the model applies it (same meaning as the governor's).

A fault is active on ``[at_s, at_s + duration_s)``; ``target: all`` hits every service.
- ``throttle_storm``: DynamoDB provisioned capacity (or the on-demand limit) and/or the Lambda
  concurrency cap multiplied by ``capacity_factor``;
- ``added_latency``: ``latency_ms`` more on each DynamoDB call, or before the handler runs
  (target lambda);
- ``dynamodb_errors``: a fraction ``rate`` of DynamoDB calls fail with InternalServerError,
  retried by botocore like a throttle (``general_server_error`` in _retry.json);
  ``backend_unreachable`` on dynamodb: every call fails (connection error, also retried);
- ``lambda_errors``: a fraction ``rate`` of invocations answer 500 before the handler runs;
- ``cold_start_storm``: Lambda's environments are recycled (idle ones shut down at once, busy
  ones when their invocation ends: every invocation a cold start; the rule and its source in
  :mod:`scaling_lab.aws.lambda_scaling`), applied from the second it starts in.
``sqs_unavailable`` and SQS targets are not modelled (the result carries a note).
"""

from __future__ import annotations

from collections.abc import Sequence

from scaling_lab.scenario.models import Fault, FaultKind

__all__ = ["FaultPlan"]


class FaultPlan:
    """Which faults are active at a simulated time."""

    def __init__(self, faults: Sequence[Fault]) -> None:
        self.faults = list(faults)
        self.any = bool(self.faults)
        self.unmodelled = [
            f for f in self.faults if f.kind is FaultKind.SQS_UNAVAILABLE or f.target == "sqs"
        ]

    def _find(self, t_s: float, kind: FaultKind, service: str | None) -> Fault | None:
        for f in self.faults:
            if (
                f.kind is kind
                and f.at_s <= t_s < f.at_s + f.duration_s
                and (service is None or f.target in (service, "all"))
            ):
                return f
        return None

    def lambda_error_rate(self, t_s: float) -> float:
        f = self._find(t_s, FaultKind.LAMBDA_ERRORS, None)
        return 0.0 if f is None else float(f.rate or 0.0)

    def lambda_latency_ms(self, t_s: float) -> float:
        f = self._find(t_s, FaultKind.ADDED_LATENCY, "lambda")
        return 0.0 if f is None else float(f.latency_ms or 0.0)

    def ddb_fail_rate(self, t_s: float) -> float:
        if self._find(t_s, FaultKind.BACKEND_UNREACHABLE, "dynamodb") is not None:
            return 1.0
        f = self._find(t_s, FaultKind.DYNAMODB_ERRORS, "dynamodb")
        return 0.0 if f is None else float(f.rate or 0.0)

    def ddb_latency_ms(self, t_s: float) -> float:
        f = self._find(t_s, FaultKind.ADDED_LATENCY, "dynamodb")
        return 0.0 if f is None else float(f.latency_ms or 0.0)

    def recycling(self, t_s: float) -> bool:
        """True while a cold-start storm is on."""
        return self._find(t_s, FaultKind.COLD_START_STORM, None) is not None

    def max_latency_ms(self) -> float:
        """The largest latency any fault adds (0 without latency faults)."""
        return max((float(f.latency_ms or 0.0) for f in self.faults), default=0.0)

    def storm(self, t_s: float) -> tuple[float, float]:
        """(DynamoDB capacity factor, Lambda concurrency factor) in force at ``t_s``."""
        f = self._find(t_s, FaultKind.THROTTLE_STORM, None)
        if f is None or f.capacity_factor is None:
            return 1.0, 1.0
        if f.target == "lambda":
            return 1.0, f.capacity_factor
        return f.capacity_factor, (f.capacity_factor if f.target == "all" else 1.0)
