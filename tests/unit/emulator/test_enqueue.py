"""BatchingSender: shares SendMessageBatch calls, each caller learns its own outcome."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator.app.enqueue import BatchingSender, EnqueueError


def test_concurrent_submits_share_batches_of_at_most_ten():
    batches: list[int] = []
    gate = threading.Event()

    def send(entries: list[dict[str, Any]]) -> dict[str, Any]:
        gate.wait(5)
        batches.append(len(entries))
        return {"Successful": [{"Id": e["Id"], "MessageId": e["MessageBody"]} for e in entries]}

    sender = BatchingSender(send, linger_s=0.05)
    with ThreadPoolExecutor(30) as pool:
        futures = [pool.submit(sender.submit, {"MessageBody": f"m{i}"}) for i in range(30)]
        gate.set()
        results = [f.result().result(5) for f in futures]
    sender.close()
    assert sorted(results) == sorted(f"m{i}" for i in range(30))
    assert sum(batches) == 30 and max(batches) <= 10 and len(batches) < 30


def test_failures_reach_exactly_the_callers_concerned():
    def send(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "Successful": [
                {"Id": e["Id"], "MessageId": "ok"} for e in entries if e["MessageBody"] != "bad"
            ],
            "Failed": [
                {"Id": e["Id"], "Code": "InvalidMessageContents"}
                for e in entries
                if e["MessageBody"] == "bad"
            ],
        }

    sender = BatchingSender(send, linger_s=0.05)
    good, bad = sender.submit({"MessageBody": "good"}), sender.submit({"MessageBody": "bad"})
    assert good.result(5) == "ok"
    with pytest.raises(EnqueueError, match="InvalidMessageContents"):
        bad.result(5)
    sender.close()


def test_a_failed_call_fails_every_waiting_caller():
    def send(entries: list[dict[str, Any]]) -> dict[str, Any]:
        raise ConnectionError("down")

    sender = BatchingSender(send)
    with pytest.raises(ConnectionError):
        sender.submit({"MessageBody": "x"}).result(5)
    sender.close()
    with pytest.raises(RuntimeError):
        sender.submit({"MessageBody": "y"})
