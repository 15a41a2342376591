"""How the commands that make a result end: record it in the history, show it, its notes and
where it is, and the exit code its verdict means."""

from __future__ import annotations

from pathlib import Path

from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError, ScalingLabError
from scaling_lab.result.models import RunResult

__all__ = ["finish", "notes", "record", "save", "show"]


def save(result: RunResult, out_dir: Path) -> Path:
    """Write ``<out_dir>/<run_id>.json``; a clear --out error when it cannot be written."""
    from scaling_lab.result.io import save_result

    dest = out_dir / f"{result.run_id}.json"
    try:
        save_result(result, dest)
    except OSError as exc:
        raise InputError(f"--out: cannot write {dest}: {exc}") from None
    return dest


def record(result: RunResult) -> None:
    """Record in the run history (SCALING_LAB_NO_HISTORY=1 turns it off); a store that cannot
    be written is a note, never a lost result."""
    from scaling_lab.store import record_result

    try:
        record_result(result)
    except ScalingLabError as exc:
        err.print(f"[yellow]note:[/yellow] not recorded in the run history: {exc}")


def notes(result: RunResult) -> None:
    for note in result.provenance.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)


def finish(result: RunResult, *, recovery: bool = False) -> int:
    """Exit 99 when the scenario's thresholds failed (or, with ``recovery``, its recovery
    SLO); else 0."""
    s = result.summary
    if s.thresholds_passed is False:
        err.print("[red]thresholds failed[/red]")
        return ExitCode.THRESHOLDS_FAILED
    if recovery and s.recovery is not None and not s.recovery.recovered:
        err.print("[red]recovery SLO failed[/red]")
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


def show(result: RunResult) -> None:
    """The summary table."""
    from scaling_lab.report.terminal import render_summary

    out.print(render_summary(result))
