"""API keys: random, stored only as SHA-256 hashes, resolved to a tenant through a cache."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable

__all__ = ["ApiKeyResolver", "generate_api_key", "hash_api_key"]

KEY_PREFIX = "slk_"


def generate_api_key() -> str:
    """A new random API key (32 bytes of entropy)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    """The stored form of a key: hex SHA-256. The key itself is never stored nor logged."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class ApiKeyResolver:
    """Resolves a key to its tenant through ``lookup(key_hash)``, caching answers for ``ttl_s``.

    Unknown keys are cached for a shorter time so a flood of bad keys does not reach the table
    on every request, while a newly created key works within seconds.
    """

    NEGATIVE_TTL_S = 2.0

    def __init__(
        self,
        lookup: Callable[[str], str | None],
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._lookup = lookup
        self._ttl_s = ttl_s
        self._clock = clock
        self._max_entries = max_entries
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def resolve(self, api_key: str) -> str | None:
        """The tenant id of ``api_key``, or None when the key is unknown."""
        key_hash = hash_api_key(api_key)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key_hash)
        if hit is not None and hit[1] > now:
            return hit[0]
        tenant = self._lookup(key_hash)
        ttl = self._ttl_s if tenant is not None else min(self._ttl_s, self.NEGATIVE_TTL_S)
        with self._lock:
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            self._cache[key_hash] = (tenant, now + ttl)
        return tenant
