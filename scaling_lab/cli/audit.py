"""``audit``: reconcile a run on a running ``up`` stack (accepted vs stored vs enqueued)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.output import out
from scaling_lab.cli.up import DEFAULT_STATE_FILE
from scaling_lab.errors import ExitCode, ThresholdsFailed

__all__ = ["register"]


def _audit(
    accepted: Annotated[
        Path | None,
        typer.Option(
            help="file of accepted (202) event ids: one per line or JSON lines",
            envvar="SCALING_LAB_ACCEPTED",
        ),
    ] = None,
    state_file: Annotated[
        Path, typer.Option(help="written by `up`", envvar="SCALING_LAB_STATE_FILE")
    ] = DEFAULT_STATE_FILE,
    wait: Annotated[
        float,
        typer.Option(
            min=0, help="seconds to wait for the queue to drain", envvar="SCALING_LAB_WAIT"
        ),
    ] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", envvar="SCALING_LAB_JSON")] = False,
) -> int:
    """Reconcile a run on a running `up`: accepted vs stored vs enqueued, and duplicates.

    Exit 99 when an accepted event is missing, a stored one was never enqueued, or an
    idempotent request was stored twice.
    """
    from emulator.stack import audit, load_stack_state, read_accepted_ids

    endpoints, settings = load_stack_state(state_file)
    ids = None if accepted is None else read_accepted_ids(accepted)
    report = audit(endpoints, settings, ids, wait_drain_s=wait)
    if as_json:
        print(report.model_dump_json())
    else:
        for field in (
            "accepted",
            "stored",
            "enqueued",
            "still_queued",
            "missing",
            "not_enqueued",
            "duplicate_accepted",
            "duplicate_stored",
            "redelivered",
        ):
            out.print(f"{field:>20}: {getattr(report, field)}")
        out.print(f"{'verdict':>20}: {'ok' if report.ok else 'FAILED'}")
    if not report.ok:
        raise ThresholdsFailed(
            f"audit failed: {report.missing} missing, {report.not_enqueued} not enqueued, "
            f"{report.duplicate_stored} stored twice"
        )
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("audit")(_audit)
