"""Reconcile a run: events accepted (202) vs stored vs enqueued, and duplicates.

*Enqueued* is proven by the delivery worker's records (one per received message), after
waiting for the queue to drain. Events written by ``prefill_inbox`` are never enqueued and
are left out of the enqueue check.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from emulator.app.settings import AppSettings
from emulator.app.store import IDEM_PREFIX
from emulator.stack.endpoints import Endpoints
from emulator.stack.errors import StackInputError
from emulator.stack.provision import admin_client

__all__ = ["AuditReport", "audit", "load_stack_state", "queue_depth", "read_accepted_ids"]

_SAMPLE = 20  # ids listed per problem kind; counts are always complete


class AuditReport(BaseModel):
    """Counts and (sampled) ids of every discrepancy; ``ok`` when nothing was lost or doubled.

    ``duplicate_accepted`` (one id answered twice: an idempotent retry) and ``redelivered``
    (SQS delivers at least once) are reported but are not failures.
    """

    model_config = ConfigDict(extra="forbid")

    accepted: int | None
    stored: int
    enqueued: int
    still_queued: int
    missing: int
    missing_ids: list[str]
    not_enqueued: int
    not_enqueued_ids: list[str]
    duplicate_accepted: int
    duplicate_stored: int
    redelivered: int
    ok: bool


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages visible plus in flight (SQS's approximate counters)."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def _scan(ddb: Any, table: str, projection: str, names: dict[str, str] | None = None) -> Any:
    args: dict[str, Any] = {"TableName": table, "ProjectionExpression": projection}
    if names:
        args["ExpressionAttributeNames"] = names
    paginator = ddb.get_paginator("scan")
    for page in paginator.paginate(**args):
        yield from page.get("Items", [])


def audit(
    endpoints: Endpoints,
    settings: AppSettings,
    accepted: Iterable[str] | None = None,
    wait_drain_s: float = 30.0,
) -> AuditReport:
    """Wait up to ``wait_drain_s`` for the queue to empty, then reconcile."""
    ddb = admin_client("dynamodb", endpoints.dynamodb, settings.region)
    sqs = admin_client("sqs", endpoints.sqs, settings.region)
    deadline = time.monotonic() + wait_drain_s
    depth = queue_depth(sqs, settings.queue_url)
    while depth > 0 and time.monotonic() < deadline:
        time.sleep(0.25)
        depth = queue_depth(sqs, settings.queue_url)

    stored: set[str] = set()
    prefilled: set[str] = set()
    idem_counts: Counter[str] = Counter()
    for item in _scan(ddb, settings.events_table, "sk, idem, prefill"):
        sk = item["sk"]["S"]
        if sk.startswith(IDEM_PREFIX):
            continue
        stored.add(sk)
        if "prefill" in item:
            prefilled.add(sk)
        if "idem" in item:
            idem_counts[item["idem"]["S"]] += 1
    deliveries: Counter[str] = Counter(
        item["event_id"]["S"] for item in _scan(ddb, settings.deliveries_table, "event_id")
    )

    accepted_list = None if accepted is None else list(accepted)
    accepted_counts = Counter(accepted_list or [])
    missing = sorted(set(accepted_counts) - stored)
    not_enqueued = sorted(stored - prefilled - set(deliveries))
    duplicate_accepted = sum(1 for c in accepted_counts.values() if c > 1)
    duplicate_stored = sum(c - 1 for c in idem_counts.values() if c > 1)
    return AuditReport(
        accepted=None if accepted_list is None else len(accepted_list),
        stored=len(stored),
        enqueued=len(set(deliveries) & stored),
        still_queued=depth,
        missing=len(missing),
        missing_ids=missing[:_SAMPLE],
        not_enqueued=len(not_enqueued),
        not_enqueued_ids=not_enqueued[:_SAMPLE],
        duplicate_accepted=duplicate_accepted,
        duplicate_stored=duplicate_stored,
        redelivered=sum(1 for c in deliveries.values() if c > 1),
        ok=not missing and not not_enqueued and duplicate_stored == 0,
    )


def read_accepted_ids(path: Path) -> list[str]:
    """Accepted (202) event ids from a file: one per line, or JSON lines carrying
    ``event_id``; a clear error naming the file and line otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise StackInputError(f"{path}: cannot read: {exc.strerror}") from exc
    ids: list[str] = []
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                value = json.loads(text).get("event_id")
            except (ValueError, AttributeError) as exc:
                raise StackInputError(f"{path}:{n}: not a JSON object") from exc
            if not isinstance(value, str):
                raise StackInputError(f"{path}:{n}: event_id: expected a string")
            ids.append(value)
        else:
            ids.append(text)
    return ids


def load_stack_state(path: Path) -> tuple[Endpoints, AppSettings]:
    """Where a running ``up`` stack is, from the state file it wrote (no secrets in it)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        endpoints = Endpoints(**state["endpoints"])
        settings = AppSettings(cursor_secret="-" * 16, **state["settings"])
    except RecursionError:  # JSON nested past the interpreter's limit
        raise StackInputError(
            f"{path}: no running stack described there (nested too deeply to read); "
            "start `scaling-lab up` first"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StackInputError(
            f"{path}: no running stack described there ({str(exc).split(';')[0]}); "
            "start `scaling-lab up` first"
        ) from exc
    return endpoints, settings
