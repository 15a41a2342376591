"""The one place where the API's AWS clients are built: endpoints, retries, pooling, hooks.

A *client hook* is called with ``(service_name, client)`` right after a client is created;
capacity emulation uses it to register botocore event handlers, e.g.
``client.meta.events.register("before-send.dynamodb", handler)``, so a throttle it returns is
a genuine AWS error that botocore's own retry logic sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from emulator.app.settings import AppSettings

__all__ = ["AwsClients", "ClientHook", "botocore_config", "build_clients"]

ClientHook = Callable[[str, Any], None]


@dataclass(frozen=True)
class AwsClients:
    """The low-level boto3 clients the handlers use (thread-safe, shared by all requests)."""

    dynamodb: Any
    sqs: Any


def botocore_config(settings: AppSettings) -> Config:
    """botocore ``Config`` from the settings: retry mode/attempts, timeouts, pool size."""
    return Config(
        region_name=settings.region,
        retries={
            "mode": settings.retries.mode,
            "total_max_attempts": settings.retries.total_max_attempts,
        },
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        max_pool_connections=settings.max_pool_connections,
        tcp_keepalive=True,
        # The handlers build every request from validated input; botocore's own client-side
        # parameter validation would only repeat that work on each call.
        parameter_validation=False,
    )


def build_clients(settings: AppSettings, hooks: Sequence[ClientHook] = ()) -> AwsClients:
    """Build the DynamoDB and SQS clients and run each hook on each of them."""
    session = boto3.session.Session(
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        region_name=settings.region,
    )
    config = botocore_config(settings)
    clients: dict[str, Any] = {}
    for service, endpoint in (
        ("dynamodb", settings.dynamodb_endpoint),
        ("sqs", settings.sqs_endpoint),
    ):
        client = session.client(service, endpoint_url=endpoint, config=config)
        for hook in hooks:
            hook(service, client)
        clients[service] = client
    return AwsClients(dynamodb=clients["dynamodb"], sqs=clients["sqs"])
