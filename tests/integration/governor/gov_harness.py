"""Helpers of the governor's integration tests: a governed local stack and an open-loop load."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulator.governor import GovernorSettings
from emulator.stack.stack import Stack


def require_backend() -> None:
    """Skip with the reason when the embedded backend cannot run here."""
    if shutil.which("node") is None:
        pytest.skip("the embedded backend needs Node.js (dynalite); see .ci/setup.sh")


class GovernedStack(Stack):
    """The local stack with governor settings given to its API process."""

    governor_settings: GovernorSettings = GovernorSettings()

    def start_api(self) -> None:
        settings = self.governor_settings.model_copy(
            update={"cloudwatch_endpoint": self.endpoints.cloudwatch}
        )
        old = os.environ.get("SCALING_LAB_GOVERNOR")
        os.environ.update(settings.to_env())
        try:
            super().start_api()
        finally:
            if old is None:
                os.environ.pop("SCALING_LAB_GOVERNOR", None)
            else:
                os.environ["SCALING_LAB_GOVERNOR"] = old


@contextmanager
def governed_stack(system: Any, **settings: Any) -> Iterator[GovernedStack]:
    """Start a governed embedded stack for ``system`` (already scaled) and stop it after."""
    require_backend()
    stack = GovernedStack(backend="embedded", tenants=1, system=system)
    stack.governor_settings = GovernorSettings(publish_interval_s=2.0, **settings)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@dataclass(frozen=True)
class Outcome:
    """One request: when it was sent (run time), its status (0: no answer), its event id."""

    t_s: float
    status: int
    event_id: str | None
    latency_ms: float


def open_loop(
    url: str,
    api_key: str,
    rate_at: Callable[[float], float],
    duration_s: float,
    timeout_s: float = 30.0,
) -> list[Outcome]:
    """POST events at ``rate_at(t)`` req/s (open model: arrivals never wait for answers)."""

    async def run() -> list[Outcome]:
        out: list[Outcome] = []
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
        async with httpx.AsyncClient(base_url=url, timeout=timeout_s, limits=limits) as client:
            start = time.monotonic()

            async def one(i: int) -> None:
                t = time.monotonic() - start
                body = {
                    "event_type": "order.created",
                    "timestamp": "2026-01-01T00:00:00Z",
                    "payload": {"n": i, "pad": "x" * 600},
                }
                try:
                    r = await client.post("/v1/events", json=body, headers={"X-API-Key": api_key})
                    status = r.status_code
                    event_id = r.json().get("event_id") if status == 202 else None
                except httpx.HTTPError:
                    status, event_id = 0, None
                out.append(Outcome(t, status, event_id, (time.monotonic() - start - t) * 1000))

            tasks = []
            t, i = 0.0, 0
            while t < duration_s:
                rate = max(rate_at(t), 0.1)
                delay = start + t - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(i)))
                i += 1
                t += 1.0 / rate
            await asyncio.gather(*tasks)
        return out

    return asyncio.run(run())


def governor_doc(url: str) -> dict[str, Any]:
    """The governor's JSON counters."""
    return dict(httpx.get(url + "/_governor/metrics", timeout=10).json())


def start_run(url: str, faults: list[Any] | None = None) -> float:
    """Mark run time 0 (and give the fault timeline); returns the epoch of t=0."""
    body = {"faults": [f.model_dump(mode="json", by_alias=True) for f in faults or []]}
    r = httpx.post(url + "/_governor/start", json=body, timeout=10)
    r.raise_for_status()
    return float(r.json()["t0_epoch_s"])
