"""Helpers of the governor's unit tests: a fake clock, settings, a fake backend hook."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from emulator.app.settings import AppSettings
from emulator.governor import Governor, GovernorSettings
from scaling_lab.system import load_system
from scaling_lab.system.scaling import scale_system


class FakeClock:
    """Time that moves only when told."""

    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def backend_ok(request: Any, **_: Any) -> AWSResponse:
    """Stands in for the DynamoDB backend: every call succeeds with an empty JSON object."""
    body = json.dumps({}).encode()
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))


def make_app_settings() -> AppSettings:
    return AppSettings(
        cursor_secret="x" * 32,
        dynamodb_endpoint="http://127.0.0.1:9",
        sqs_endpoint="http://127.0.0.1:9",
    )


def make_governor(
    clock: FakeClock, app_settings: AppSettings, system: Any = None, **settings: Any
) -> Governor:
    system = system if system is not None else scale_system(load_system("staging"), 0.02)
    settings = {"publish": False, **settings}
    return Governor(system, GovernorSettings(**settings), app_settings, clock=clock)


def hooked_client(governor: Governor, mode: str = "legacy", attempts: int = 3) -> Any:
    """A DynamoDB client with the governor's hooks and a fake backend behind them."""
    client = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": mode, "total_max_attempts": attempts}),
    )
    governor.client_hook("dynamodb", client)
    client.meta.events.register("before-send.dynamodb", backend_ok)
    return client
