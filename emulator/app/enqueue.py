"""Delivery messages: sent one call per request, or gathered into SendMessageBatch calls.

In a Lambda each invocation serves one request, so it sends its own message (``direct``).
A local server runs many requests in one process; :class:`BatchingSender` lets concurrent
requests share ``SendMessageBatch`` calls (up to the API's 10 entries, the rulebook's
``SQS_MAX_BATCH_ENTRIES``) while each request still waits until *its* message is accepted
before answering. It changes how many SQS calls carry the messages, not what each request
stores or enqueues.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from scaling_lab.aws.sqs import SQS_MAX_BATCH_ENTRIES

__all__ = ["MAX_BATCH_ENTRIES", "BatchingSender", "EnqueueError"]

MAX_BATCH_ENTRIES = SQS_MAX_BATCH_ENTRIES


class EnqueueError(Exception):
    """SQS refused one entry of a batch."""


class BatchingSender:
    """Collects entries from request threads and sends them in batches on one thread.

    A batch leaves as soon as it has ``max_entries`` entries or ``linger_s`` after its first
    entry arrived, whichever is first; while a send is in flight the next batch fills up.
    """

    def __init__(
        self,
        send_batch: Callable[[list[dict[str, Any]]], dict[str, Any]],
        max_entries: int = MAX_BATCH_ENTRIES,
        linger_s: float = 0.005,
    ) -> None:
        if not 1 <= max_entries <= MAX_BATCH_ENTRIES:
            raise ValueError(f"max_entries must be 1..{MAX_BATCH_ENTRIES}")
        self._send_batch = send_batch
        self._max = max_entries
        self._linger_s = linger_s
        self._cond = threading.Condition()
        self._pending: list[tuple[dict[str, Any], Future[str]]] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="sqs-batcher", daemon=True)
        self._thread.start()

    def submit(self, entry: dict[str, Any]) -> Future[str]:
        """Queue one ``SendMessageBatch`` entry (without ``Id``); the future gives MessageId."""
        future: Future[str] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("sender closed")
            self._pending.append((entry, future))
            if len(self._pending) == 1 or len(self._pending) >= self._max:
                self._cond.notify()
        return future

    def close(self) -> None:
        """Send what is pending and stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(10)

    def _take(self) -> list[tuple[dict[str, Any], Future[str]]] | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            if len(self._pending) < self._max and not self._closed:
                self._cond.wait(self._linger_s)
            batch, self._pending = self._pending[: self._max], self._pending[self._max :]
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            entries = [{**entry, "Id": str(i)} for i, (entry, _) in enumerate(batch)]
            try:
                out = self._send_batch(entries)
            except BaseException as exc:
                for _, future in batch:
                    future.set_exception(exc)
                continue
            ok = {item["Id"]: item["MessageId"] for item in out.get("Successful", [])}
            failed = {item["Id"]: item for item in out.get("Failed", [])}
            for i, (_, future) in enumerate(batch):
                if str(i) in ok:
                    future.set_result(ok[str(i)])
                else:
                    reason = failed.get(str(i), {}).get("Code", "missing from response")
                    future.set_exception(EnqueueError(reason))
