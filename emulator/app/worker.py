"""The delivery worker: drains the SQS queue as a Lambda behind an event source mapping would.

Each of ``concurrency`` pollers receives up to ``batch_size`` messages, records one delivery
per message in the deliveries table (what the audit reads), then deletes the batch. A message
whose recording fails is not deleted and comes back after its visibility timeout, so delivery
is at least once. Run as ``python -m emulator.app.worker --concurrency 2 --batch-size 10``.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.app.clients import build_clients
from emulator.app.settings import AppSettings

__all__ = ["DeliveryWorker"]

log = logging.getLogger("emulator.worker")

# SQS ReceiveMessage returns at most 10 messages per call:
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
MAX_BATCH = 10
# BatchWriteItem takes at most 25 put/delete requests:
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
_MAX_BATCH_WRITE = 25


class DeliveryWorker:
    """Pollers on threads; :meth:`start` then :meth:`stop`. Counters are approximate totals."""

    def __init__(
        self,
        settings: AppSettings,
        concurrency: int = 2,
        batch_size: int = MAX_BATCH,
        batch_window_s: float = 0.25,  # project's choice (ASSUMPTION), not an AWS default
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
        self._settings = settings
        self._clients = build_clients(settings)
        self.concurrency = concurrency
        self.batch_size = batch_size
        if not 0 <= batch_window_s <= 300:
            raise ValueError("batch_window_s must be 0..300")
        self.batch_window_s = batch_window_s
        self.delivered = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the pollers."""
        for i in range(self.concurrency):
            t = threading.Thread(target=self._loop, name=f"delivery-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the pollers to finish their batch and wait for them."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout_s)

    def wait(self) -> None:
        """Block until :meth:`stop` is called (from a signal handler or another thread)."""
        while not self._stop.wait(0.5):
            pass

    def _loop(self) -> None:
        sqs = self._clients.sqs
        while not self._stop.is_set():
            try:
                out = sqs.receive_message(
                    QueueUrl=self._settings.queue_url,
                    MaxNumberOfMessages=self.batch_size,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                )
                messages = out.get("Messages", [])
                if messages:
                    self._deliver(messages)
                if 0 < len(messages) < self.batch_size:
                    # A partial batch means the queue is nearly empty: gather for a while, as
                    # an event source mapping's MaximumBatchingWindowInSeconds does
                    # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html).
                    self._stop.wait(self.batch_window_s)
            except (ClientError, BotoCoreError) as exc:
                log.warning("delivery poll failed: %s", type(exc).__name__)
                self._stop.wait(0.5)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        now = str(time.time())
        requests = []
        for m in messages:
            body = json.loads(m["Body"])
            count = m.get("Attributes", {}).get("ApproximateReceiveCount", "1")
            requests.append(
                {
                    "PutRequest": {
                        "Item": {
                            "event_id": {"S": body["event_id"]},
                            "delivery": {"S": f"{m['MessageId']}#{count}"},
                            "tenant_id": {"S": body["tenant_id"]},
                            "delivered_at": {"N": now},
                        }
                    }
                }
            )
        ddb = self._clients.dynamodb
        for start in range(0, len(requests), _MAX_BATCH_WRITE):
            pending = {self._settings.deliveries_table: requests[start : start + _MAX_BATCH_WRITE]}
            while pending:
                out = ddb.batch_write_item(RequestItems=pending)
                pending = out.get("UnprocessedItems") or {}
        self._clients.sqs.delete_message_batch(
            QueueUrl=self._settings.queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        self.delivered += len(messages)


def main(argv: list[str] | None = None) -> None:
    """Run a worker from ``SCALING_LAB_APP_SETTINGS`` until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m emulator.app.worker")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=MAX_BATCH)
    parser.add_argument("--batch-window-s", type=float, default=0.25)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    worker = DeliveryWorker(
        AppSettings.from_env(), args.concurrency, args.batch_size, args.batch_window_s
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker._stop.set())
    worker.start()
    worker.wait()
    worker.stop()


if __name__ == "__main__":
    main()
