"""SQS standard-queue semantics in memory, for :mod:`emulator.stack.sqs_server`.

Every operation is O(batch) whatever the queue depth: visible messages in send order, in-flight
and delayed ones on a timer heap, receive counts, redrive to a dead-letter queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from scaling_lab.aws.sqs import (
    SQS_DEFAULT_RETENTION_S,
    SQS_DEFAULT_VISIBILITY_TIMEOUT_S,
    SQS_MAX_BATCH_ENTRIES,
    SQS_MAX_MESSAGE_BYTES,
    SQS_MAX_RECEIVE_MESSAGES,
    SQS_MAX_WAIT_TIME_S,
)

__all__ = ["Message", "Queue", "SqsError", "SqsService", "md5_of_message_attributes"]

ACCOUNT = "000000000000"
# The SQS API's limits, from the rulebook (scaling_lab/aws/sqs.py, sources there).
MAX_RECEIVE = SQS_MAX_RECEIVE_MESSAGES
MAX_WAIT_S = SQS_MAX_WAIT_TIME_S
MAX_BATCH_ENTRIES = SQS_MAX_BATCH_ENTRIES
DEFAULT_VISIBILITY_S = SQS_DEFAULT_VISIBILITY_TIMEOUT_S
MAX_VISIBILITY_S = 43_200  # 12 hours


class SqsError(Exception):
    """An SQS error: HTTP 400 with the shape name botocore maps to an exception."""

    def __init__(self, code: str, message: str, query_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.query_code = query_code or code


def _nonexistent(url: str) -> SqsError:
    return SqsError(
        "QueueDoesNotExist",
        f"The specified queue does not exist: {url}",
        "AWS.SimpleQueueService.NonExistentQueue",
    )


def md5_of_message_attributes(attrs: dict[str, Any]) -> str:
    """MD5 of message attributes as SQS computes it (names sorted, length-prefixed fields)."""
    digest = hashlib.md5()
    for name in sorted(attrs):
        attr = attrs[name]
        dtype = attr["DataType"]
        for part in (name.encode(), dtype.encode()):
            digest.update(len(part).to_bytes(4, "big") + part)
        if "BinaryValue" in attr:
            import base64

            raw = attr["BinaryValue"]
            value = base64.b64decode(raw) if isinstance(raw, str) else raw
            digest.update(b"\x02" + len(value).to_bytes(4, "big") + value)
        else:
            value = str(attr.get("StringValue", "")).encode()
            digest.update(b"\x01" + len(value).to_bytes(4, "big") + value)
    return digest.hexdigest()


@dataclass
class Message:
    """One message and its delivery state."""

    message_id: str
    body: str
    md5_body: str
    attributes: dict[str, Any]
    md5_attributes: str | None
    sent_ms: int
    receive_count: int = 0
    first_receive_ms: int = 0
    receipt: str = ""
    visible_at: float = 0.0


@dataclass
class Queue:
    """A standard queue: visible messages in send order, in-flight ones by visibility deadline."""

    name: str
    url: str
    arn: str
    attributes: dict[str, str]
    created: float = field(default_factory=time.time)
    messages: dict[str, Message] = field(default_factory=dict)
    ready: OrderedDict[str, None] = field(default_factory=OrderedDict)
    inflight: dict[str, float] = field(default_factory=dict)
    delayed: dict[str, float] = field(default_factory=dict)
    timers: list[tuple[float, int, str, str]] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def visibility_s(self) -> int:
        return int(self.attributes.get("VisibilityTimeout", DEFAULT_VISIBILITY_S))

    def redrive(self) -> tuple[str, int] | None:
        raw = self.attributes.get("RedrivePolicy")
        if not raw:
            return None
        policy = json.loads(raw)
        return str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])


class SqsService:
    """The queues and their operations (single-threaded: used from one asyncio loop)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.queues: dict[str, Queue] = {}
        self._clock = clock
        self._seq = 0

    # -- helpers ------------------------------------------------------------------------------
    def _queue(self, url: str | None) -> Queue:
        name = (url or "").rstrip("/").rsplit("/", 1)[-1]
        queue = self.queues.get(name)
        if queue is None:
            raise _nonexistent(url or "")
        return queue

    def _timer(self, queue: Queue, at: float, kind: str, message_id: str) -> None:
        self._seq += 1
        heapq.heappush(queue.timers, (at, self._seq, kind, message_id))

    def _tick(self, queue: Queue) -> None:
        """Make due delayed and timed-out in-flight messages visible again."""
        now = self._clock()
        timers = queue.timers
        while timers and timers[0][0] <= now:
            at, _, kind, mid = heapq.heappop(timers)
            if kind == "delay" and queue.delayed.get(mid) == at:
                del queue.delayed[mid]
                queue.ready[mid] = None
            elif kind == "flight" and queue.inflight.get(mid) == at:
                del queue.inflight[mid]
                queue.ready[mid] = None
                queue.receipts.pop(queue.messages[mid].receipt, None)

    def next_timer_in(self, queue: Queue) -> float | None:
        """Seconds until the next message may become visible, if any."""
        if not queue.timers:
            return None
        return max(0.0, queue.timers[0][0] - float(self._clock()))

    def _remove(self, queue: Queue, mid: str) -> None:
        msg = queue.messages.pop(mid, None)
        if msg is None:
            return
        queue.ready.pop(mid, None)
        queue.inflight.pop(mid, None)
        queue.delayed.pop(mid, None)
        queue.receipts.pop(msg.receipt, None)

    # -- queues -------------------------------------------------------------------------------
    def create_queue(self, base_url: str, req: dict[str, Any]) -> dict[str, Any]:
        name = req.get("QueueName", "")
        if not name or len(name) > 80 or not all(c.isalnum() or c in "-_" for c in name):
            raise SqsError("InvalidParameterValue", f"invalid QueueName {name!r}")
        attrs = {k: str(v) for k, v in (req.get("Attributes") or {}).items()}
        if name not in self.queues:
            self.queues[name] = Queue(
                name=name,
                url=f"{base_url}/{ACCOUNT}/{name}",
                arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}",
                attributes=attrs,
            )
        return {"QueueUrl": self.queues[name].url}

    def get_queue_url(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self.queues.get(req.get("QueueName", ""))
        if queue is None:
            raise _nonexistent(req.get("QueueName", ""))
        return {"QueueUrl": queue.url}

    def list_queues(self, req: dict[str, Any]) -> dict[str, Any]:
        prefix = req.get("QueueNamePrefix", "")
        return {
            "QueueUrls": [q.url for n, q in sorted(self.queues.items()) if n.startswith(prefix)]
        }

    def delete_queue(self, req: dict[str, Any]) -> dict[str, Any]:
        del self.queues[self._queue(req.get("QueueUrl")).name]
        return {}

    def purge_queue(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        for mid in list(queue.messages):
            self._remove(queue, mid)
        queue.timers.clear()
        return {}

    def get_queue_attributes(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        self._tick(queue)
        # Defaults (256 KiB message, 4-day retention) from the rulebook (scaling_lab/aws/sqs.py)
        attrs = {
            "ApproximateNumberOfMessages": str(len(queue.ready)),
            "ApproximateNumberOfMessagesNotVisible": str(len(queue.inflight)),
            "ApproximateNumberOfMessagesDelayed": str(len(queue.delayed)),
            "CreatedTimestamp": str(int(queue.created)),
            "LastModifiedTimestamp": str(int(queue.created)),
            "QueueArn": queue.arn,
            "VisibilityTimeout": str(queue.visibility_s()),
            "DelaySeconds": queue.attributes.get("DelaySeconds", "0"),
            "MaximumMessageSize": queue.attributes.get(
                "MaximumMessageSize", str(SQS_MAX_MESSAGE_BYTES)
            ),
            "MessageRetentionPeriod": queue.attributes.get(
                "MessageRetentionPeriod", str(SQS_DEFAULT_RETENTION_S)
            ),
            "ReceiveMessageWaitTimeSeconds": queue.attributes.get(
                "ReceiveMessageWaitTimeSeconds", "0"
            ),
        }
        if "RedrivePolicy" in queue.attributes:
            attrs["RedrivePolicy"] = queue.attributes["RedrivePolicy"]
        names = req.get("AttributeNames") or ["All"]
        if "All" not in names:
            attrs = {k: v for k, v in attrs.items() if k in names}
        return {"Attributes": attrs}

    def set_queue_attributes(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        queue.attributes.update({k: str(v) for k, v in (req.get("Attributes") or {}).items()})
        return {}

    # -- messages -----------------------------------------------------------------------------
    def _send(self, queue: Queue, entry: dict[str, Any]) -> dict[str, Any]:
        body = entry.get("MessageBody")
        if not isinstance(body, str) or not body:
            raise SqsError("MissingParameter", "MessageBody is required")
        limit = int(queue.attributes.get("MaximumMessageSize", str(SQS_MAX_MESSAGE_BYTES)))
        if len(body.encode()) > limit:
            raise SqsError("InvalidParameterValue", f"message longer than {limit} bytes")
        attrs = entry.get("MessageAttributes") or {}
        mid = str(uuid.uuid4())
        md5_body = hashlib.md5(body.encode()).hexdigest()
        md5_attrs = md5_of_message_attributes(attrs) if attrs else None
        msg = Message(mid, body, md5_body, attrs, md5_attrs, int(time.time() * 1000))
        queue.messages[mid] = msg
        delay = int(entry.get("DelaySeconds", queue.attributes.get("DelaySeconds", 0)) or 0)
        if delay > 0:
            at = self._clock() + delay
            queue.delayed[mid] = at
            self._timer(queue, at, "delay", mid)
        else:
            queue.ready[mid] = None
            queue.arrived.set()
        out = {"MessageId": mid, "MD5OfMessageBody": md5_body}
        if md5_attrs:
            out["MD5OfMessageAttributes"] = md5_attrs
        return out

    def send_message(self, req: dict[str, Any]) -> dict[str, Any]:
        return self._send(self._queue(req.get("QueueUrl")), req)

    def send_message_batch(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        entries = req.get("Entries") or []
        if not entries:
            raise SqsError(
                "EmptyBatchRequest", "no entries", "AWS.SimpleQueueService.EmptyBatchRequest"
            )
        if len(entries) > MAX_BATCH_ENTRIES:
            raise SqsError(
                "TooManyEntriesInBatchRequest",
                f"at most {MAX_BATCH_ENTRIES} entries",
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            )
        ok, failed = [], []
        for entry in entries:
            try:
                ok.append({"Id": entry["Id"], **self._send(queue, entry)})
            except SqsError as exc:
                failed.append(
                    {
                        "Id": entry.get("Id", ""),
                        "SenderFault": True,
                        "Code": exc.code,
                        "Message": exc.message,
                    }
                )
        return {"Successful": ok, "Failed": failed}

    def receive_now(self, queue: Queue, req: dict[str, Any]) -> list[dict[str, Any]]:
        """Receive what is visible now (no waiting)."""
        self._tick(queue)
        want = int(req.get("MaxNumberOfMessages", 1) or 1)
        if not 1 <= want <= MAX_RECEIVE:
            raise SqsError("InvalidParameterValue", f"MaxNumberOfMessages must be 1..{MAX_RECEIVE}")
        vt = int(req.get("VisibilityTimeout", queue.visibility_s()))
        names = set(req.get("MessageSystemAttributeNames") or []) | set(
            req.get("AttributeNames") or []
        )
        want_attrs = set(req.get("MessageAttributeNames") or [])
        redrive = queue.redrive()
        now = self._clock()
        out: list[dict[str, Any]] = []
        while queue.ready and len(out) < want:
            mid, _ = queue.ready.popitem(last=False)
            msg = queue.messages[mid]
            if redrive is not None and msg.receive_count >= redrive[1]:
                self._dead_letter(queue, msg, redrive[0])
                continue
            msg.receive_count += 1
            if msg.receive_count == 1:
                msg.first_receive_ms = int(time.time() * 1000)
            msg.receipt = f"{mid}#{uuid.uuid4().hex}"
            queue.receipts[msg.receipt] = mid
            msg.visible_at = now + vt
            queue.inflight[mid] = msg.visible_at
            self._timer(queue, msg.visible_at, "flight", mid)
            out.append(self._render(msg, names, want_attrs))
        return out

    @staticmethod
    def _render(msg: Message, names: set[str], want_attrs: set[str]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "MessageId": msg.message_id,
            "ReceiptHandle": msg.receipt,
            "MD5OfBody": msg.md5_body,
            "Body": msg.body,
        }
        if names:
            system = {
                "ApproximateReceiveCount": str(msg.receive_count),
                "SentTimestamp": str(msg.sent_ms),
                "ApproximateFirstReceiveTimestamp": str(msg.first_receive_ms),
                "SenderId": ACCOUNT,
            }
            item["Attributes"] = (
                system if "All" in names else {k: v for k, v in system.items() if k in names}
            )
        if want_attrs and msg.attributes:
            picked = (
                msg.attributes
                if want_attrs & {"All", ".*"}
                else {k: v for k, v in msg.attributes.items() if k in want_attrs}
            )
            if picked:
                item["MessageAttributes"] = picked
                item["MD5OfMessageAttributes"] = md5_of_message_attributes(picked)
        return item

    def _dead_letter(self, queue: Queue, msg: Message, dlq_arn: str) -> None:
        self._remove(queue, msg.message_id)
        target = next((q for q in self.queues.values() if q.arn == dlq_arn), None)
        if target is not None:
            msg.receipt = ""
            target.messages[msg.message_id] = msg
            target.ready[msg.message_id] = None
            target.arrived.set()

    async def receive_message(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        wait = int(
            req.get("WaitTimeSeconds", queue.attributes.get("ReceiveMessageWaitTimeSeconds", 0))
        )
        if not 0 <= wait <= MAX_WAIT_S:
            raise SqsError("InvalidParameterValue", f"WaitTimeSeconds must be 0..{MAX_WAIT_S}")
        deadline = self._clock() + wait
        while True:
            messages = self.receive_now(queue, req)
            remaining = deadline - self._clock()
            if messages or remaining <= 0:
                return {"Messages": messages} if messages else {}
            queue.arrived.clear()
            timer = self.next_timer_in(queue)
            timeout = remaining if timer is None else min(remaining, timer + 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.arrived.wait(), timeout)

    def _delete(self, queue: Queue, receipt: str) -> None:
        mid = queue.receipts.get(receipt)
        if mid is None:
            # A stale handle (message received again since, or already deleted) succeeds
            # without deleting, as SQS documents; a handle this server never issued fails.
            if "#" in receipt:
                return
            raise SqsError(
                "ReceiptHandleIsInvalid", "invalid receipt handle", "ReceiptHandleIsInvalid"
            )
        self._remove(queue, mid)

    def delete_message(self, req: dict[str, Any]) -> dict[str, Any]:
        self._delete(self._queue(req.get("QueueUrl")), str(req.get("ReceiptHandle", "")))
        return {}

    def delete_message_batch(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        ok, failed = [], []
        for entry in req.get("Entries") or []:
            try:
                self._delete(queue, str(entry.get("ReceiptHandle", "")))
                ok.append({"Id": entry["Id"]})
            except SqsError as exc:
                failed.append(
                    {
                        "Id": entry.get("Id", ""),
                        "SenderFault": True,
                        "Code": exc.code,
                        "Message": exc.message,
                    }
                )
        return {"Successful": ok, "Failed": failed}

    def change_message_visibility(self, req: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(req.get("QueueUrl"))
        mid = queue.receipts.get(str(req.get("ReceiptHandle", "")))
        if mid is None or mid not in queue.inflight:
            raise SqsError(
                "MessageNotInflight",
                "message not in flight",
                "AWS.SimpleQueueService.MessageNotInflight",
            )
        vt = int(req.get("VisibilityTimeout", 0))
        if not 0 <= vt <= MAX_VISIBILITY_S:
            raise SqsError(
                "InvalidParameterValue", f"VisibilityTimeout must be 0..{MAX_VISIBILITY_S}"
            )
        at = self._clock() + vt
        queue.inflight[mid] = at
        self._timer(queue, at, "flight", mid)
        if vt == 0:
            self._tick(queue)
            queue.arrived.set()
        return {}
