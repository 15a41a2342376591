"""``up``: run the Triggers API on a local AWS backend until stopped."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from scaling_lab.cli.options import check_backend, opt
from scaling_lab.cli.output import err, out
from scaling_lab.cli.paths import StateLock, writable_dir
from scaling_lab.errors import ExitCode, InputError

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
        opt(
            "--backend",
            "auto (LocalStack if Docker is reachable, else embedded) | embedded | localstack",
            callback=check_backend,
        ),
    ] = "auto",
    port: Annotated[
        int | None, opt("--port", "API port on 127.0.0.1 (default: a free one)")
    ] = None,
    tenants: Annotated[int, opt("--tenants", "tenants, one API key each", min=1, max=1000)] = 2,
    system: Annotated[
        str | None, opt("--system", "system file (name or path) handed to capacity emulation")
    ] = None,
    worker_concurrency: Annotated[
        int, opt("--worker-concurrency", "delivery worker pollers (0: none)", min=0)
    ] = 2,
    worker_batch_size: Annotated[
        int, opt("--worker-batch-size", "messages per receive", min=1, max=10)
    ] = 10,
    state_file: Annotated[Path, opt("--state-file", "where to write endpoints for `audit`")] = (
        DEFAULT_STATE_FILE
    ),
    as_json: Annotated[
        bool, opt("--json", 'print one line {"url":..., "api_keys":[...]} when ready')
    ] = False,
    persist: Annotated[
        bool,
        opt(
            "--persist",
            "embedded backend: keep DynamoDB's data on disk in --data-dir (kept after the stack "
            "stops; the next `up --persist` there starts with it)",
        ),
    ] = False,
    data_dir: Annotated[
        Path, opt("--data-dir", "folder of the persisted data and the logs (with --persist)")
    ] = DEFAULT_DATA_DIR,
    max_restarts: Annotated[
        int,
        opt(
            "--max-restarts",
            "API or worker restarts allowed within 60 s before `up` gives up (exit 3)",
            min=0,
            max=1000,
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
        fatal = stack.supervise(
            max_restarts,
            on_restart=lambda line: err.print(f"scaling-lab up: {line}", markup=False),
        )
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


def register(app: typer.Typer) -> None:
    app.command("up")(_up)
