"""API Gateway's request throttle: a token bucket per account and Region.

"API Gateway throttles requests to your API using the token bucket algorithm, where a token
counts for a request"; the account quota is 10,000 requests per second with a burst of 5,000
-- APIGW_THROTTLE_URL (defaults in :class:`scaling_lab.system.models.FrontDoor`). A Lambda
Function URL has no throttle of its own (Lambda's limits apply).
"""

from __future__ import annotations

from scaling_lab.aws.buckets import TokenBucket
from scaling_lab.system.models import APIGW_THROTTLE_URL, FrontDoor, FrontDoorKind

__all__ = ["APIGW_THROTTLE_URL", "front_door_bucket"]


def front_door_bucket(front_door: FrontDoor, now_s: float = 0.0) -> TokenBucket | None:
    """The front door's throttle (None for a Function URL): refilled at ``rate_per_s``,
    holding ``burst`` tokens, full at the start."""
    if front_door.kind is not FrontDoorKind.API_GATEWAY:
        return None
    return TokenBucket(front_door.rate_per_s, front_door.burst, now_s=now_s)
