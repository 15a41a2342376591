"""botocore's retry schedules for a throttled DynamoDB call (legacy and standard modes).

Numbers read from botocore as installed (1.43):

- legacy (``retry_mode: legacy``, botocore's default unless AWS_RETRY_MODE says otherwise):
  ``botocore/data/_retry.json`` -> ``retry.dynamodb.__default__``: ``max_attempts: 10``,
  ``delay: {type: exponential, base: 0.05, growth_factor: 2}``; ``botocore/retryhandler.py``
  ``delay_exponential`` sleeps ``base * growth_factor ** (attempts - 1)`` after failed attempt
  ``attempts`` (1-based): 50, 100, 200, ... 12,800 ms, no jitter. The policy
  ``throughput_exceeded`` (ProvisionedThroughputExceededException) is retried.
- standard (``retry_mode: standard``): ``botocore/retries/standard.py``: ``DEFAULT_MAX_ATTEMPTS
  = 3``; ``ExponentialBackoff`` (``_BASE = 2``, ``_MAX_BACKOFF = 20``) sleeps
  ``random() * min(base_scale * 2 ** (attempt - 1), 20)`` s with ``throttling_base_scale = 1``
  for throttling errors (ProvisionedThroughputExceededException is in
  ``ThrottledRetryableChecker._THROTTLED_ERROR_CODES``); ``RetryQuotaChecker``: a retry costs
  ``_RETRY_COST = 5`` (``_THROTTLING_RETRY_COST = 5``) from ``RetryQuota.INITIAL_CAPACITY = 500``
  (``botocore/retries/quota.py``); a success without retry returns ``_NO_RETRY_INCREMENT = 1``,
  a success after retries returns what its last retry took.
  Docs: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html

The quota belongs to one client, i.e. one Lambda environment. The model pools it across the
environments alive (``500 x environments``) -- an approximation that keeps it count-based.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scaling_lab.system.models import RetryMode, SdkConfig

__all__ = [
    "LEGACY_DYNAMODB_BASE_S",
    "LEGACY_DYNAMODB_MAX_ATTEMPTS",
    "LEGACY_GROWTH_FACTOR",
    "STANDARD_MAX_ATTEMPTS",
    "STANDARD_MAX_BACKOFF_S",
    "STANDARD_QUOTA_INITIAL",
    "STANDARD_RETRY_COST",
    "STANDARD_THROTTLING_BASE_S",
    "RetryPolicy",
    "RetryQuotaPool",
]

LEGACY_DYNAMODB_MAX_ATTEMPTS = 10  # _retry.json retry.dynamodb.__default__.max_attempts
LEGACY_DYNAMODB_BASE_S = 0.05  # _retry.json retry.dynamodb.__default__.delay.base
LEGACY_GROWTH_FACTOR = 2  # _retry.json retry.dynamodb.__default__.delay.growth_factor
STANDARD_MAX_ATTEMPTS = 3  # retries/standard.py DEFAULT_MAX_ATTEMPTS
STANDARD_MAX_BACKOFF_S = 20.0  # retries/standard.py ExponentialBackoff._MAX_BACKOFF
STANDARD_THROTTLING_BASE_S = 1.0  # ExponentialBackoff._DEFAULT_BACKOFF_CONFIG throttling scale
STANDARD_QUOTA_INITIAL = 500  # retries/quota.py RetryQuota.INITIAL_CAPACITY
STANDARD_RETRY_COST = 5  # retries/standard.py RetryQuotaChecker._THROTTLING_RETRY_COST
STANDARD_NO_RETRY_INCREMENT = 1  # retries/standard.py RetryQuotaChecker._NO_RETRY_INCREMENT


@dataclass(frozen=True)
class RetryPolicy:
    """When a throttled call is retried, and after how long."""

    mode: RetryMode
    max_attempts: int

    @classmethod
    def from_sdk(cls, sdk: SdkConfig) -> RetryPolicy:
        return cls(RetryMode(sdk.retry_mode), sdk.effective_max_attempts)

    @property
    def jitter(self) -> bool:
        return self.mode is RetryMode.STANDARD

    def ceiling_s(self, attempt: int) -> float:
        """Delay after failed ``attempt`` (1-based): exact in legacy, the jitter's upper bound
        in standard mode."""
        if attempt < 1:
            raise ValueError("attempt is 1-based")
        if self.mode is RetryMode.LEGACY:
            return float(LEGACY_DYNAMODB_BASE_S * LEGACY_GROWTH_FACTOR ** (attempt - 1))
        return min(STANDARD_THROTTLING_BASE_S * 2.0 ** (attempt - 1), STANDARD_MAX_BACKOFF_S)

    def delay_s(self, attempt: int, rng: np.random.Generator) -> float:
        """One sampled delay after failed ``attempt``."""
        top = self.ceiling_s(attempt)
        return top * float(rng.random()) if self.jitter else top

    def delays_s(self, attempt: int, n: int, rng: np.random.Generator) -> np.ndarray:
        top = self.ceiling_s(attempt)
        return top * rng.random(n) if self.jitter else np.full(n, top)


class RetryQuotaPool:
    """botocore's standard-mode retry quota, pooled over ``clients`` (see module docstring)."""

    __slots__ = ("available", "capacity_per_client", "clients")

    def __init__(self, clients: int = 1, capacity_per_client: int = STANDARD_QUOTA_INITIAL) -> None:
        self.capacity_per_client = capacity_per_client
        self.clients = max(1, clients)
        self.available = float(capacity_per_client * self.clients)

    @property
    def capacity(self) -> float:
        return float(self.capacity_per_client * self.clients)

    def set_clients(self, clients: int) -> None:
        """Environments came or went; new clients start with a full quota."""
        clients = max(1, clients)
        if clients > self.clients:
            self.available += (clients - self.clients) * self.capacity_per_client
        self.clients = clients
        self.available = min(self.available, self.capacity)

    def acquire(self, n: int = 1) -> int:
        """Up to ``n`` retries allowed now; returns how many got quota."""
        can = int(self.available // STANDARD_RETRY_COST)
        got = min(n, can)
        self.available -= got * STANDARD_RETRY_COST
        return got

    def release(self, n_plain: int, n_after_retry: int = 0) -> None:
        self.available = min(
            self.capacity,
            self.available
            + n_plain * STANDARD_NO_RETRY_INCREMENT
            + n_after_retry * STANDARD_RETRY_COST,
        )
