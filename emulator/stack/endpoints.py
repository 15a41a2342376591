"""Where a backend's AWS services answer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Endpoints"]


@dataclass(frozen=True)
class Endpoints:
    """Endpoint URLs on loopback; ``s3`` is None when the backend has no S3."""

    dynamodb: str
    sqs: str
    cloudwatch: str
    s3: str | None = None
