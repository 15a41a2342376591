"""One crash drill: load with idempotent client retries, SIGKILL of the API, restart, audit.

Each client request carries its own ``Idempotency-Key`` and is retried with the same key and
body until it is answered 202 (or refused with a 4xx), as a well-behaved client does after a
connection reset or a 5xx. Used by ``test_crash_and_cli.py`` (one drill) and
``benchmarks/crash_retries.py`` (several, with their numbers).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import httpx

from emulator.stack import Stack

EVENT = {
    "event_type": "order.created",
    "timestamp": "2026-01-01T00:00:00Z",
    "payload": {"order_id": "o-1", "note": "caf\u00e9 \u2603"},
}


@dataclass
class DrillOutcome:
    accepted: int
    retried: int
    duplicates: int
    missing: int
    not_enqueued: int
    duplicate_stored: int
    stored: int


def crash_drill(
    stack: Stack,
    before_kill: int = 300,
    after_restart: int = 100,
    posters: int = 8,
    deadline_s: float = 60.0,
) -> DrillOutcome:
    """Run the drill on a started stack; returns the audit's counts."""
    accepted: list[str] = []
    retried = duplicates = 0
    stop = threading.Event()
    lock = threading.Lock()

    def poster() -> None:
        nonlocal retried, duplicates
        headers = {"X-API-Key": stack.api_keys[0]}
        with httpx.Client(base_url=stack.url, timeout=5, headers=headers) as c:
            while not stop.is_set():
                key = uuid.uuid4().hex
                attempt = 0
                # Retry this one request (same key, same body) until it is answered; a client
                # that stops retrying may lose its own event, which is its choice, not ours.
                while True:
                    attempt += 1
                    try:
                        resp = c.post("/v1/events", json=EVENT, headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        resp = None
                    if resp is not None and resp.status_code < 500:
                        break
                    time.sleep(min(0.5, 0.02 * attempt))
                if resp.status_code != 202:
                    raise AssertionError(f"unexpected {resp.status_code}: {resp.text[:200]}")
                body = resp.json()
                with lock:
                    accepted.append(body["event_id"])
                    retried += attempt > 1
                    duplicates += bool(body["duplicate"])

    threads = [threading.Thread(target=poster, daemon=True) for _ in range(posters)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + deadline_s
    while len(accepted) < before_kill and time.monotonic() < deadline:
        time.sleep(0.02)
    stack.kill_api()  # SIGKILL with requests in flight
    time.sleep(0.5)
    stack.start_api()
    target = len(accepted) + after_restart
    while len(accepted) < target and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(30)
    report = stack.audit(accepted=accepted, wait_drain_s=60)
    return DrillOutcome(
        accepted=len(accepted),
        retried=retried,
        duplicates=duplicates,
        missing=report.missing,
        not_enqueued=report.not_enqueued,
        duplicate_stored=report.duplicate_stored,
        stored=report.stored,
    )
