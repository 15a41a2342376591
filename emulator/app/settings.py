"""Settings of one Triggers API deployment: where its AWS services are and how it talks to them."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from scaling_lab.aws.sqs import SQS_MAX_MESSAGE_BYTES

__all__ = ["ENV_VAR", "AppSettings", "RetrySettings"]

#: Environment variable holding the JSON settings of the API and worker processes.
ENV_VAR = "SCALING_LAB_APP_SETTINGS"

# SQS's largest message (the rulebook's SQS_MAX_MESSAGE_BYTES, 256 KiB) bounds the body; the
# request body limit leaves room for the envelope (ids, tenant, timestamps) the API adds.
DEFAULT_MAX_BODY_BYTES = 200_000


class RetrySettings(BaseModel):
    """botocore retry configuration of the API's clients (``Config(retries=...)``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # botocore's modes: https://docs.aws.amazon.com/boto3/latest/guide/retries.html
    mode: str = Field(default="standard", pattern="^(legacy|standard|adaptive)$")
    total_max_attempts: int = Field(default=3, ge=1, le=50)


class AppSettings(BaseModel):
    """Everything the API and the delivery worker need; serialised into their child processes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = "us-east-1"
    dynamodb_endpoint: str | None = None
    sqs_endpoint: str | None = None
    #: Where the capacity governor publishes CloudWatch metrics (None: the SQS endpoint).
    cloudwatch_endpoint: str | None = None
    access_key_id: str = "test"
    secret_access_key: str = "test"
    events_table: str = "triggers-events"
    api_keys_table: str = "triggers-api-keys"
    deliveries_table: str = "triggers-deliveries"
    queue_url: str = ""
    cursor_secret: str = Field(min_length=16)
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1, le=SQS_MAX_MESSAGE_BYTES)
    api_key_cache_ttl_s: float = Field(default=60.0, ge=0)
    max_pool_connections: int = Field(default=64, ge=1)
    #: Threads running handlers in the ASGI server (blocking boto3 calls); few threads keep
    #: GIL hand-offs cheap while still overlapping backend round trips.
    handler_threads: int = Field(default=8, ge=1, le=1000)
    connect_timeout_s: float = Field(default=2.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)
    retries: RetrySettings = RetrySettings()
    #: Share SendMessageBatch calls among concurrent requests (local server); each request
    #: still answers only after its own message is accepted. False: one SendMessage each.
    enqueue_batching: bool = False
    #: ``module:function`` callables run when the app is built (see emulator.app.extensions).
    extensions: tuple[str, ...] = ()
    #: JSON of a scaling_lab.system SystemConfig, handed to extensions (None: no emulation).
    system_json: str | None = None

    def to_env(self) -> dict[str, str]:
        """The environment entry that carries these settings into a child process."""
        return {ENV_VAR: self.model_dump_json()}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AppSettings:
        """Read settings from :data:`ENV_VAR` (as written by :meth:`to_env`)."""
        env = os.environ if environ is None else environ
        raw = env.get(ENV_VAR)
        if raw is None:
            raise KeyError(f"{ENV_VAR} is not set; the stack sets it for its child processes")
        return cls.model_validate_json(raw)
