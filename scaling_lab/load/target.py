"""Where the load goes: the local stack (started and torn down here) or a given base URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from scaling_lab.load.plan import LOCAL, url_api_key
from scaling_lab.observe import Figures, fetch_local_metrics
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

__all__ = ["Target", "open_target"]


@dataclass
class Target:
    url: str
    api_keys: list[str]
    backend: str | None  # embedded | localstack | None (a URL: unknown)
    backlog_ready: bool  # True when the inbox backlog already exists (else setup() creates it)
    audit: Callable[[int], list[str]] | None = None  # accepted count -> notes
    # The local stack's capacity emulation: k6's setup() starts its clock and faults, and its
    # per-second figures (Lambda, DynamoDB, SQS) are read back after the run.
    governor: bool = False
    metrics: Callable[[], Figures] | None = None
    notes: list[str] = field(default_factory=list)
    #: One line per process of the local stack that is no longer running (None: a URL,
    #: whose health the load itself measures).
    exited: Callable[[], list[str]] | None = None


def _audit_notes(stack: Any) -> Callable[[int], list[str]]:
    def run(accepted: int) -> list[str]:
        exited = stack.exited()
        if exited:  # the figures after that moment measure a broken stack, not the API
            return [f"PROBLEM: local stack process {line}" for line in exited] + [
                "audit skipped: the local stack did not survive the run"
            ]
        report = stack.audit(None, wait_drain_s=15.0)
        verdict = "ok" if report.ok else "PROBLEM"
        return [
            f"audit {verdict}: {accepted} events answered 202 by the API during the run; "
            f"stored {report.stored} (incl. backlog and setup), missing {report.missing}, "
            f"not enqueued {report.not_enqueued}, duplicates stored {report.duplicate_stored}"
        ]

    return run


@contextmanager
def _local(scenario: Scenario, system: SystemConfig, backend: str) -> Iterator[Target]:
    from emulator.stack import start_local_stack

    tenants = scenario.keys.tenants  # one API key (and partition key value) per tenant
    with start_local_stack(backend=backend, tenants=tenants, system=system) as stack:
        if scenario.inbox.backlog_events:
            for key in stack.api_keys:
                stack.prefill_inbox(key, scenario.inbox.backlog_events)
        yield Target(
            url=stack.url,
            api_keys=list(stack.api_keys),
            backend=str(stack.backend),
            backlog_ready=True,
            audit=_audit_notes(stack),
            governor=True,
            metrics=lambda: fetch_local_metrics(stack.url),
            exited=stack.exited,
        )


@contextmanager
def open_target(
    target: str,
    scenario: Scenario,
    system: SystemConfig,
    *,
    api_key: str | None = None,
    backend: str = "embedded",
) -> Iterator[Target]:
    """Yield a ready target; a local stack is stopped on exit, also after errors."""
    if target == LOCAL:
        with _local(scenario, system, backend) as t:
            yield t
        return
    key = url_api_key(target, api_key)
    yield Target(url=target, api_keys=[key], backend=None, backlog_ready=False)
