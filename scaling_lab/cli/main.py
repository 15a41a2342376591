"""Entry point of the ``scaling-lab`` command: registers commands and maps errors to exit codes."""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from types import FrameType

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from scaling_lab.cli import (
    alarms,
    audit,
    baseline,
    chaos,
    check,
    collect,
    compare,
    files,
    history,
    importing,
    k6_operator,
    observe,
    plan,
    predict,
    regress,
    report,
    run,
    up,
    verify,
)
from scaling_lab.cli.app import app
from scaling_lab.cli.output import err
from scaling_lab.errors import ExitCode, ScalingLabError, ValidationFailed

__all__ = ["app", "main"]

for _module in (
    files,
    predict,
    plan,
    run,
    check,
    up,
    audit,
    compare,
    verify,
    chaos,
    history,
    baseline,
    regress,
    report,
    observe,
    k6_operator,
    collect,
    alarms,
    importing,
):
    _module.register(app)


def _report(error: ScalingLabError) -> None:
    if isinstance(error, ValidationFailed):
        for problem in error.problems:
            err.print(f"[red]error:[/red] {escape(str(problem))}", markup=True, highlight=False)
    else:
        err.print(f"[red]error:[/red] {escape(str(error))}", markup=True, highlight=False)


def _usage_line(exc: TyperException) -> str:
    """A usage error (bad or missing option or argument, unknown command) as one line naming
    it, and where the command's help is (click's own form is a usage block of four)."""
    fmt = getattr(exc, "format_message", None)
    message = " ".join(str(fmt() if callable(fmt) else exc).split())
    path = getattr(getattr(exc, "ctx", None), "command_path", None)
    return f"error: {message}" + (f" (see '{path} --help')" if path else "")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; never lets a traceback reach the user unless SCALING_LAB_DEBUG=1.

    SIGTERM (a CI job cancelled, ``kill``, ``timeout``) is handled like Ctrl-C: every command
    stops what it started, writes what it measured as a partial result and exits 130.
    """
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="scaling-lab")
    except typer.Exit as exc:
        code = int(exc.exit_code)
    except typer.Abort:
        err.print("interrupted")
        code = ExitCode.INTERRUPTED
    except TyperException as exc:  # usage errors: bad option, missing argument
        err.print(_usage_line(exc), markup=False, highlight=False)
        code = ExitCode.INVALID_INPUT
    except ScalingLabError as exc:
        _report(exc)
        code = exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # a bug: one line, full traceback only on request
        if os.environ.get("SCALING_LAB_DEBUG"):
            traceback.print_exc()
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {escape(str(exc))} "
            "(set SCALING_LAB_DEBUG=1 for the traceback)",
            markup=True,
            highlight=False,
        )
        code = ExitCode.INTERNAL
    else:
        code = int(rv) if isinstance(rv, int) else ExitCode.OK
    if argv is None:
        sys.exit(code)
    return int(code)


if __name__ == "__main__":
    main()
