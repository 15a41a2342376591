"""Provisioning, identical for every backend: tables, queue (+ dead-letter queue), API keys."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulator.app.keys import generate_api_key, hash_api_key
from emulator.app.settings import AppSettings
from emulator.app.store import table_definitions
from emulator.stack.endpoints import Endpoints
from emulator.stack.errors import BackendUnavailable

__all__ = ["Provisioned", "admin_client", "provision", "tenant_ids"]

# After this many receives a message moves to the dead-letter queue (an assumption of this
# project, not an AWS default; redrive is described at
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
MAX_RECEIVE_COUNT = 5
# Seconds a received message stays hidden; the worker deletes within a second or two
# (project's choice; SQS's default is 30 s:
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
VISIBILITY_TIMEOUT_S = 30


@dataclass(frozen=True)
class Provisioned:
    """What provisioning made: queue URLs and one API key per tenant (plain text, once)."""

    queue_url: str
    dead_letter_queue_url: str
    api_keys: list[str]
    tenants: list[str]


def admin_client(service: str, endpoint: str, region: str = "us-east-1") -> Any:
    """A boto3 client for setup/audit work (not the app's clients; those live in the app)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 5}, max_pool_connections=32
        ),
    )


def tenant_ids(count: int) -> list[str]:
    """Tenant ids ``tenant-1`` .. ``tenant-N``."""
    return [f"tenant-{i}" for i in range(1, count + 1)]


def _create_tables(ddb: Any, settings: AppSettings, timeout_s: float) -> None:
    existing = set(ddb.list_tables().get("TableNames", []))
    for definition in table_definitions(settings):
        if definition["TableName"] not in existing:
            ddb.create_table(**definition)
    deadline = time.monotonic() + timeout_s
    for definition in table_definitions(settings):
        while True:
            desc = ddb.describe_table(TableName=definition["TableName"])["Table"]
            indexes = desc.get("GlobalSecondaryIndexes", [])
            if desc["TableStatus"] == "ACTIVE" and all(
                i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes
            ):
                break
            if time.monotonic() > deadline:
                raise BackendUnavailable(f"table {definition['TableName']} not ACTIVE in time")
            time.sleep(0.1)


def _create_queues(sqs: Any, settings: AppSettings, queue_name: str) -> tuple[str, str]:
    dlq_url = sqs.create_queue(QueueName=f"{queue_name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=queue_name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_S),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
            ),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def provision(
    endpoints: Endpoints,
    settings: AppSettings,
    tenants: int,
    queue_name: str = "triggers-events",
    timeout_s: float = 60.0,
) -> Provisioned:
    """Create everything (idempotent for tables and queues) and one new API key per tenant."""
    if tenants < 1:
        raise ValueError("tenants must be >= 1")
    try:
        ddb = admin_client("dynamodb", endpoints.dynamodb, settings.region)
        sqs = admin_client("sqs", endpoints.sqs, settings.region)
        _create_tables(ddb, settings, timeout_s)
        queue_url, dlq_url = _create_queues(sqs, settings, queue_name)
        keys: list[str] = []
        names = tenant_ids(tenants)
        for tenant in names:
            key = generate_api_key()
            ddb.put_item(
                TableName=settings.api_keys_table,
                Item={"key_hash": {"S": hash_api_key(key)}, "tenant_id": {"S": tenant}},
            )
            keys.append(key)
    except (ClientError, BotoCoreError) as exc:
        raise BackendUnavailable(f"provisioning failed: {exc}") from exc
    return Provisioned(queue_url, dlq_url, keys, names)
