"""Commands ``up`` (run the Triggers API on a local AWS backend) and ``audit`` (reconcile a run)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import StateLock, writable_dir
from scaling_lab.errors import ExitCode, InputError, ThresholdsFailed

BACKENDS = ("auto", "embedded", "localstack")

__all__ = ["DEFAULT_STATE_FILE", "register"]

#: Where ``up`` writes endpoints and names (no secrets) for ``audit`` and other tools.
DEFAULT_STATE_FILE = Path(".scaling-lab") / "stack.json"
#: Where ``up --persist`` keeps DynamoDB's data and the logs.
DEFAULT_DATA_DIR = Path(".scaling-lab") / "data"


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _up(
    backend: Annotated[
        str,
        typer.Option(
            help="auto (LocalStack if Docker is reachable, else embedded) | embedded | localstack",
            envvar="SCALING_LAB_BACKEND",
        ),
    ] = "auto",
    port: Annotated[
        int | None,
        typer.Option(help="API port on 127.0.0.1 (default: a free one)", envvar="SCALING_LAB_PORT"),
    ] = None,
    tenants: Annotated[
        int,
        typer.Option(
            min=1, max=1000, help="tenants, one API key each", envvar="SCALING_LAB_TENANTS"
        ),
    ] = 2,
    system: Annotated[
        str | None,
        typer.Option(
            help="system file (name or path) handed to capacity emulation",
            envvar="SCALING_LAB_SYSTEM",
        ),
    ] = None,
    worker_concurrency: Annotated[
        int,
        typer.Option(
            min=0, help="delivery worker pollers (0: none)", envvar="SCALING_LAB_WORKER_CONCURRENCY"
        ),
    ] = 2,
    worker_batch_size: Annotated[
        int,
        typer.Option(
            min=1, max=10, help="messages per receive", envvar="SCALING_LAB_WORKER_BATCH_SIZE"
        ),
    ] = 10,
    state_file: Annotated[
        Path,
        typer.Option(help="where to write endpoints for `audit`", envvar="SCALING_LAB_STATE_FILE"),
    ] = DEFAULT_STATE_FILE,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='print one line {"url":..., "api_keys":[...]} when ready',
            envvar="SCALING_LAB_JSON",
        ),
    ] = False,
    persist: Annotated[
        bool,
        typer.Option(
            "--persist",
            help="embedded backend: keep DynamoDB's data on disk in --data-dir (kept after "
            "the stack stops; the next `up --persist` there starts with it)",
            envvar="SCALING_LAB_PERSIST",
        ),
    ] = False,
    data_dir: Annotated[
        Path,
        typer.Option(
            help="folder of the persisted data and the logs (with --persist)",
            envvar="SCALING_LAB_DATA_DIR",
        ),
    ] = DEFAULT_DATA_DIR,
    max_restarts: Annotated[
        int,
        typer.Option(
            min=0,
            max=1000,
            help="API or worker restarts allowed within 60 s before `up` gives up (exit 3)",
            envvar="SCALING_LAB_MAX_RESTARTS",
        ),
    ] = 5,
) -> int:
    """Start a local AWS backend and the Triggers API; print the URL and one API key per tenant.

    Runs until Ctrl-C or SIGTERM, then stops every process it started. The API and the
    delivery worker hold no data: when one exits on its own it is restarted on the same port
    and reported. When a backend process exits (say DynamoDB, whose data lives in that process
    unless --persist), it says which and why, stops the rest and exits 3, keeping the logs.
    """
    from emulator.stack import Stack

    if backend not in BACKENDS:
        raise InputError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if persist and backend == "localstack":
        raise InputError("--persist: only for the embedded backend")
    system_config: Any = None
    if system is not None:
        from scaling_lab.system import load_system

        system_config = load_system(system)
    # Before anything starts: the state file must be writable and not another `up`'s.
    lock = StateLock.acquire(state_file, "--state-file")
    run_dir = None
    if persist:
        run_dir = writable_dir(data_dir, "--data-dir", create=True)
        backend = "embedded"
    # Both signals stop the stack, even where the shell started us with SIGINT ignored.
    previous = {
        sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    stack = Stack(
        backend=backend,
        tenants=tenants,
        port=port,
        system=system_config,
        worker_concurrency=worker_concurrency,
        worker_batch_size=worker_batch_size,
        run_dir=run_dir,
        persist=persist,
    )
    code = ExitCode.OK
    try:
        if not as_json:
            err.print(f"starting backend {backend} ...")
        stack.start()
        lock.write(stack.state())
        if as_json:
            print(json.dumps({"url": stack.url, "api_keys": stack.api_keys}), flush=True)
        else:
            out.print(f"Triggers API  {stack.url}   (backend: {stack.backend})")
            for tenant, key in zip(stack.tenants, stack.api_keys, strict=True):
                out.print(f"  {tenant}  X-API-Key: {key}")
            out.print(f"endpoints written to {state_file}; Ctrl-C to stop")
        fatal = _supervise(stack, max_restarts)
        for line in fatal:
            err.print(f"scaling-lab up: {line}", markup=False, highlight=False)
        err.print(f"scaling-lab up: stopping the stack; logs kept in {stack.run_dir}")
        code = ExitCode.ENVIRONMENT
    except KeyboardInterrupt:
        if not as_json:
            err.print("stopping ...")
    finally:
        for sig in previous:  # a second signal must not interrupt the shutdown
            signal.signal(sig, signal.SIG_IGN)
        stack.stop(keep_logs=persist)
        lock.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if persist:
        err.print(f"DynamoDB data kept in {stack.run_dir}")
    return code


def _supervise(stack: Any, max_restarts: int, window_s: float = 60.0) -> list[str]:
    """Watch the stack until a backend process exits (returns its lines) or the API/worker
    crash more than ``max_restarts`` times within ``window_s``; restart them otherwise."""
    recent: list[float] = []
    while True:
        time.sleep(0.5)
        restarted, fatal = stack.restart_stateless()
        if fatal:
            return list(fatal)
        now = time.monotonic()
        for line in restarted:
            recent = [t for t in recent if now - t < window_s] + [now]
            err.print(f"scaling-lab up: {line}", markup=False, highlight=False)
            if len(recent) > max_restarts:
                return [f"{len(recent)} restarts within {window_s:.0f} s; giving up"]


def _read_accepted(path: Path) -> list[str]:
    """Event ids, one per line, or JSON lines carrying ``event_id``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    ids: list[str] = []
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                value = json.loads(text).get("event_id")
            except (ValueError, AttributeError) as exc:
                raise InputError(f"{path}:{n}: not a JSON object") from exc
            if not isinstance(value, str):
                raise InputError(f"{path}:{n}: event_id: expected a string")
            ids.append(value)
        else:
            ids.append(text)
    return ids


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
    from emulator.app.settings import AppSettings
    from emulator.stack import Endpoints, audit

    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        endpoints = Endpoints(**state["endpoints"])
        settings = AppSettings(cursor_secret="-" * 16, **state["settings"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{state_file}: no running stack described there ({exc}); start `scaling-lab up` first"
        ) from exc
    ids = None if accepted is None else _read_accepted(accepted)
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
    """Add ``up`` and ``audit`` to the CLI."""
    app.command("up")(_up)
    app.command("audit")(_audit)
