"""Pre-flight of a URL target before any load: DNS, TCP, one authenticated read request.

A run against a closed port or a wrong key otherwise sends load for the whole scenario and
reports thousands of "timeouts". Each step has its own short deadline so the whole check ends
in a few seconds; the first failing step is named in a one-line error.
"""

from __future__ import annotations

import concurrent.futures
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from scaling_lab.errors import EnvironmentProblem, InputError

__all__ = ["PREFLIGHT_PATH", "Preflight", "preflight"]

PREFLIGHT_PATH = "/v1/inbox?limit=1"  # read-only: the check creates nothing on the target
DNS_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 1.5
REQUEST_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Preflight:
    """What the pre-flight saw (times in ms)."""

    host: str
    port: int
    address: str
    dns_ms: float
    connect_ms: float
    status: int
    request_ms: float

    def line(self) -> str:
        return (
            f"pre-flight   {self.host} -> {self.address}:{self.port} (DNS {self.dns_ms:.0f} ms, "
            f"TCP {self.connect_ms:.0f} ms), GET {PREFLIGHT_PATH} {self.status} "
            f"in {self.request_ms:.0f} ms"
        )


def _resolve(host: str, port: int) -> list[tuple[int, str]]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(info[0], str(info[4][0])) for info in infos]


def preflight(url: str, api_key: str) -> Preflight:
    """Check ``url`` (a normalized base URL) is reachable and accepts ``api_key``.

    Raises EnvironmentProblem when the host does not resolve, the port does not accept a
    connection, or the API answers 5xx / not at all; InputError when it refuses the key (401/403)
    or does not serve the Triggers API (404).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    t0 = time.perf_counter()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:  # getaddrinfo has no timeout of its own
        addresses = pool.submit(_resolve, host, port).result(timeout=DNS_TIMEOUT_S)
    except concurrent.futures.TimeoutError:
        raise EnvironmentProblem(
            f"pre-flight: {host} did not resolve within {DNS_TIMEOUT_S:g} s; no load sent"
        ) from None
    except OSError as exc:
        raise EnvironmentProblem(
            f"pre-flight: {host} does not resolve ({exc.strerror or exc}); no load sent"
        ) from None
    finally:
        pool.shutdown(wait=False)
    dns_ms = (time.perf_counter() - t0) * 1000.0
    family, address = addresses[0]
    t1 = time.perf_counter()
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT_S)
            sock.connect((address, port))
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise EnvironmentProblem(
            f"pre-flight: {host}:{port} ({address}) does not accept connections ({why}); "
            "no load sent"
        ) from None
    connect_ms = (time.perf_counter() - t1) * 1000.0
    t2 = time.perf_counter()
    try:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
            res = client.get(
                url + PREFLIGHT_PATH,
                headers={"X-API-Key": api_key, "X-Correlation-ID": "scaling-lab-preflight"},
            )
    except httpx.HTTPError as exc:
        raise EnvironmentProblem(
            f"pre-flight: GET {PREFLIGHT_PATH} on {host} failed ({type(exc).__name__}: {exc}); "
            "no load sent"
        ) from None
    request_ms = (time.perf_counter() - t2) * 1000.0
    if res.status_code in (401, 403):
        raise InputError(
            f"pre-flight: {host} refused the API key (HTTP {res.status_code}); check --api-key "
            "or $SCALING_LAB_API_KEY; no load sent"
        )
    if res.status_code == 404:
        raise InputError(
            f"pre-flight: {url}{PREFLIGHT_PATH} answered 404; is the base URL the Triggers API's "
            "(without /v1)?; no load sent"
        )
    if res.status_code >= 500:
        raise EnvironmentProblem(
            f"pre-flight: {host} answered HTTP {res.status_code} to one read request; no load sent"
        )
    return Preflight(host, port, address, dns_ms, connect_ms, res.status_code, request_ms)
