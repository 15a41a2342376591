"""SQS standard queue depth and Lambda's event source mapping scaling, as a one-second fluid step.

"Lambda starts with five concurrent batches ... adds up to 300 more instances of your function
per minute, up to 1,250" -- SQS_ESM_URL ("Scaling and processing"); the numbers are the
defaults of :class:`scaling_lab.system.models.SqsConsumer`. ASSUMPTION: the increase is spread
evenly over the minute, pollers drain back to the initial five when the queue is empty, and
each batch takes the consumer's mean time.
"""

from __future__ import annotations

from scaling_lab.system.models import SystemConfig

__all__ = [
    "SQS_DEFAULT_RETENTION_S",
    "SQS_DEFAULT_VISIBILITY_TIMEOUT_S",
    "SQS_MAX_BATCH_ENTRIES",
    "SQS_MAX_MESSAGE_BYTES",
    "SQS_MAX_RECEIVE_MESSAGES",
    "SQS_MAX_WAIT_TIME_S",
    "SqsConsumerScaling",
]

# "The maximum message size is 256 KiB"; retention defaults to 4 days (345,600 s); visibility
# timeout defaults to 30 s -- https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
SQS_MAX_MESSAGE_BYTES = 262_144
SQS_DEFAULT_RETENTION_S = 345_600
SQS_DEFAULT_VISIBILITY_TIMEOUT_S = 30
# ReceiveMessage: MaxNumberOfMessages 1-10, WaitTimeSeconds 0-20
# -- https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
SQS_MAX_RECEIVE_MESSAGES = 10
SQS_MAX_WAIT_TIME_S = 20
# SendMessageBatch: up to 10 entries
# -- https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
SQS_MAX_BATCH_ENTRIES = 10


class SqsConsumerScaling:
    """Queue depth and concurrent consumer batches, stepped once per second."""

    def __init__(self, system: SystemConfig) -> None:
        c = system.sqs.consumer
        self.batch_size = c.batch_size
        self.per_s = c.scale_per_minute / 60.0
        self.max = float(c.max_concurrency)
        self.pollers = float(c.initial_pollers)
        self.initial = float(c.initial_pollers)
        self.batch_s = c.service_time_ms.mean_ms() / 1000.0
        self.depth = 0.0

    def step(self, enqueued: float) -> float:
        """One second: ``enqueued`` messages arrive, consumers drain; returns the depth."""
        self.depth += enqueued
        done = min(self.depth, self.pollers * self.batch_size / self.batch_s)
        self.depth -= done
        if self.depth > 0:
            self.pollers = min(self.max, self.pollers + self.per_s)
        else:
            self.pollers = max(self.initial, self.pollers - self.per_s)
        return self.depth
