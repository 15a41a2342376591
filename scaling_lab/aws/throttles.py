"""Why a request was refused: one name per cause, shared by predicted and observed results."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LAMBDA_CAUSES", "ThrottleCause"]


class ThrottleCause(StrEnum):
    """The limit that refused a request (``Summary.throttles_by_cause`` keys)."""

    FRONT_DOOR = "front_door"  # API Gateway's account/stage token bucket
    LAMBDA_CONCURRENCY = "lambda_concurrency"  # reserved or account concurrency cap
    LAMBDA_SCALING_RATE = "lambda_scaling_rate"  # new environments per 10 s (or legacy burst)
    LAMBDA_REQUEST_RATE = "lambda_request_rate"  # 10 x concurrency requests per second
    DYNAMODB_RETRIES_EXHAUSTED = "dynamodb_retries_exhausted"  # SDK gave up on a throttle
    LAMBDA_TIMEOUT = "lambda_timeout"  # the function timed out while the SDK slept


#: The causes Lambda's own admission decides.
LAMBDA_CAUSES = (
    ThrottleCause.LAMBDA_CONCURRENCY,
    ThrottleCause.LAMBDA_REQUEST_RATE,
    ThrottleCause.LAMBDA_SCALING_RATE,
)
