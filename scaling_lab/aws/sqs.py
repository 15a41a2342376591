"""SQS standard queue depth and Lambda's event source mapping scaling, as a one-second fluid step.

"Lambda starts with five concurrent batches ... adds up to 300 more instances of your function
per minute, up to 1,250" -- SQS_ESM_URL ("Scaling and processing"); the numbers are the
defaults of :class:`scaling_lab.system.models.SqsConsumer`. ASSUMPTION: the increase is spread
evenly over the minute, pollers drain back to the initial five when the queue is empty, and
each batch takes the consumer's mean time.

The consumer is a Lambda function of the same account, so its batches need concurrency from
the account's pool: "When a function has reserved concurrency, no other function can use that
concurrency" -- https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html;
"Lambda functions in a single AWS account in one Region share the concurrency limit"
-- https://docs.aws.amazon.com/lambda/latest/operatorguide/reserved-concurrency.html. With the
API function's concurrency reserved, the consumer has the rest of the account; without, it
shares the account with the API function and gets what the API's busy environments leave
(and the API loses what the consumer's batches hold: :attr:`SqsConsumerScaling.in_flight`).
ASSUMPTION: the consumer is the account's only other function and reserves nothing.
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
        lam = system.lambda_
        self.batch_size = c.batch_size
        self.per_s = c.scale_per_minute / 60.0
        self.account = lam.account_concurrency
        self.shared = lam.reserved_concurrency is None  # the API function takes from the pool
        reserved = lam.reserved_concurrency
        pool = self.account if reserved is None else self.account - reserved
        self.max = float(min(c.max_concurrency, pool))
        self.pollers = float(min(c.initial_pollers, self.max))
        self.initial = self.pollers
        self.batch_s = c.service_time_ms.mean_ms() / 1000.0
        self.depth = 0.0
        self.in_flight = 0.0  # the consumer's concurrent executions over the last second

    def step(self, enqueued: float, api_busy: int = 0) -> float:
        """One second: ``enqueued`` messages arrive, consumers drain; returns the depth.
        ``api_busy``: the API function's busy environments, which a shared pool lacks."""
        if not enqueued and not self.depth:  # nothing to do: the pollers wind down
            if self.pollers > self.initial:
                self.pollers = max(self.initial, self.pollers - self.per_s)
            self.in_flight = 0.0
            return 0.0
        self.depth += enqueued
        batches = self.pollers
        if self.shared:
            batches = min(batches, max(0.0, float(self.account - api_busy)))
        done = min(self.depth, batches * self.batch_size / self.batch_s)
        self.depth -= done
        # Little's law: batches per second times the time each holds an environment
        self.in_flight = done / self.batch_size * self.batch_s
        if self.depth > 0:
            self.pollers = min(self.max, self.pollers + self.per_s)
        else:
            self.pollers = max(self.initial, self.pollers - self.per_s)
        return self.depth
