"""Token buckets: continuous refill, capped, and whole-token admission that conserves fractions.

Every AWS limit that is a rate with a burst (Lambda's scaling rate, its request-rate cap, API
Gateway's throttle, DynamoDB's capacity) is one of these. Requests are discrete, refill is
continuous: a request takes a whole token or none, and the fraction refilled since the last
arrival stays in the bucket for the next one (:meth:`TokenBucket.take_whole`).
"""

from __future__ import annotations

import math

__all__ = ["TokenBucket"]

# Refill arithmetic in floating point can leave 0.9999999 where exactly 1 token was refilled;
# a token that is this close to whole counts as whole (and the bucket never goes negative).
_WHOLE_EPS = 1e-9


class TokenBucket:
    """Tokens refilled continuously at ``rate_per_s`` up to ``capacity``; refill above the
    capacity is lost. Starts full unless ``tokens`` is given. Time never goes backwards: a
    call with an earlier ``now_s`` than the last one refills nothing."""

    __slots__ = ("_last_s", "capacity", "rate_per_s", "tokens")

    def __init__(
        self, rate_per_s: float, capacity: float, *, tokens: float | None = None, now_s: float = 0.0
    ) -> None:
        if not rate_per_s >= 0 or math.isinf(rate_per_s):
            raise ValueError(f"rate_per_s must be finite and >= 0, got {rate_per_s}")
        if not capacity > 0 or math.isinf(capacity):
            raise ValueError(f"capacity must be finite and > 0, got {capacity}")
        self.rate_per_s = float(rate_per_s)
        self.capacity = float(capacity)
        self.tokens = self.capacity if tokens is None else min(float(tokens), self.capacity)
        self._last_s = now_s

    def refill(self, now_s: float) -> float:
        """Bring the bucket to ``now_s``; returns the tokens (fractional)."""
        dt = now_s - self._last_s
        if dt > 0:
            t = self.tokens + dt * self.rate_per_s
            self.tokens = t if t < self.capacity else self.capacity
            self._last_s = now_s
        return self.tokens

    def whole(self, now_s: float) -> int:
        """Whole tokens available at ``now_s`` (how many one-token requests could pass)."""
        dt = now_s - self._last_s
        if dt > 0:  # refill(), inlined: admission calls this for every arrival
            t = self.tokens + dt * self.rate_per_s
            self.tokens = t if t < self.capacity else self.capacity
            self._last_s = now_s
        return int(self.tokens + _WHOLE_EPS)

    def spend(self, k: int) -> None:
        """Take ``k`` whole tokens that :meth:`whole` just reported (no refill)."""
        t = self.tokens - k
        self.tokens = t if t > 0.0 else 0.0

    def take_whole(self, now_s: float, n: int) -> int:
        """Admit up to ``n`` one-token requests; returns how many passed. The fraction that
        is left stays in the bucket."""
        k = min(n, self.whole(now_s))
        if k > 0:
            self.tokens = max(0.0, self.tokens - k)
        return k

    def try_take(self, now_s: float, n: float = 1.0) -> bool:
        """Take ``n`` tokens if all are there (one request of size ``n``)."""
        if self.refill(now_s) + _WHOLE_EPS >= n:
            self.tokens = max(0.0, self.tokens - n)
            return True
        return False

    def take_up_to(self, now_s: float, n: float) -> float:
        """Take as much of ``n`` (a divisible quantity, e.g. capacity units already served)
        as is available; returns how much was taken."""
        got = min(n, self.refill(now_s))
        if got <= 0:
            return 0.0
        self.tokens -= got
        return got

    def reconfigure(self, now_s: float, rate_per_s: float, capacity: float) -> None:
        """Change rate and capacity from ``now_s`` on (tokens above the new capacity are lost)."""
        self.refill(now_s)
        self.rate_per_s = float(rate_per_s)
        self.capacity = float(capacity)
        self.tokens = min(self.tokens, self.capacity)
