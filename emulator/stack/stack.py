"""The running local stack: backend + provisioning + the API process + the delivery worker."""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from emulator.app.ids import new_event_id
from emulator.app.keys import hash_api_key
from emulator.app.settings import AppSettings, RetrySettings
from emulator.app.store import event_item, utc_now_iso
from emulator.stack.audit import AuditReport, audit, queue_depth
from emulator.stack.endpoints import Endpoints
from emulator.stack.errors import BackendUnavailable, StackInputError
from emulator.stack.procs import ChildProcess, free_port, wait_http
from emulator.stack.provision import admin_client, provision
from emulator.stack.selection import Backend, select_backend

__all__ = ["GOVERNOR_EXTENSION", "Stack", "start_local_stack"]

#: Extension the stack adds when started with a SystemConfig and the module exists.
GOVERNOR_EXTENSION = "emulator.governor:extend"


class _Backend(Protocol):
    endpoints: Endpoints

    def stop(self) -> None: ...


def _handler_threads(system: Any) -> int:
    """At least the emulated concurrency cap, so admitted requests never queue for a thread."""
    if system is None:
        return 8
    cap = int(system.lambda_.concurrency_cap)
    return min(max(8, cap), 1000)


def _system_json(system: Any) -> str | None:
    if system is None:
        return None
    if hasattr(system, "model_dump_json"):
        return str(system.model_dump_json(by_alias=True))
    return json.dumps(system)


def _retries(system: Any) -> RetrySettings:
    """The app's botocore retry settings: the system's SDK settings, else botocore's standard."""
    sdk = getattr(system, "sdk", None)
    if sdk is None:
        return RetrySettings()
    return RetrySettings(
        mode=str(getattr(sdk.retry_mode, "value", sdk.retry_mode)),
        total_max_attempts=int(sdk.effective_max_attempts),
    )


def _default_extensions(system: Any) -> tuple[str, ...]:
    """The capacity governor when there is a system to emulate."""
    return (GOVERNOR_EXTENSION,) if system is not None else ()


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise BackendUnavailable(f"port {port} on 127.0.0.1 is in use: {exc}") from exc


class Stack:
    """A local Triggers API on a local AWS backend. Use :func:`start_local_stack`.

    After :meth:`start`: ``url``, ``api_keys`` (one per tenant, same order as ``tenants``),
    ``endpoints`` (dynamodb/sqs/cloudwatch/s3 URLs), ``settings`` (table and queue names),
    ``backend`` (the concrete :class:`Backend`).
    """

    def __init__(
        self,
        backend: str = "embedded",
        tenants: int = 2,
        port: int | None = None,
        system: Any = None,
        extensions: Sequence[str] | None = None,
        worker_concurrency: int = 2,
        worker_batch_size: int = 10,
        run_dir: Path | None = None,
        persist: bool = False,
        api_env: Mapping[str, str] | None = None,
    ) -> None:
        if tenants < 1:
            raise StackInputError(f"tenants: {tenants} must be >= 1")
        if port is not None and not 1 <= port <= 65535:
            raise StackInputError(f"port: {port} is not a TCP port")
        if worker_concurrency < 0:
            raise StackInputError("worker_concurrency: must be >= 0 (0: no delivery worker)")
        self.requested_backend = backend
        self.tenant_count = tenants
        self.port = port
        self.system = system
        self.extensions = (
            tuple(extensions) if extensions is not None else _default_extensions(system)
        )
        self.worker_concurrency = worker_concurrency
        self.worker_batch_size = worker_batch_size
        self.persist = persist
        #: Extra environment of the API process (e.g. an extension's own settings).
        self.api_env: dict[str, str] = dict(api_env or {})
        self._own_run_dir = run_dir is None
        self.run_dir = run_dir or Path(tempfile.mkdtemp(prefix="scaling-lab-stack-"))
        self.backend: Backend | None = None
        self.url = ""
        self.api_keys: list[str] = []
        self.tenants: list[str] = []
        self.dead_letter_queue_url = ""
        self._backend: _Backend | None = None
        self._api: ChildProcess | None = None
        self._worker: ChildProcess | None = None
        self._settings: AppSettings | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Stack:
        """Start backend, provision, start worker and API; returns self when the API is ready."""
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop(keep_logs=True)
            raise
        return self

    def _start(self) -> None:
        from emulator.stack.localstack import docker_reachable

        self.backend = select_backend(self.requested_backend, docker_reachable)
        if self.port is not None:
            _check_port_free(self.port)
        if self.backend is Backend.LOCALSTACK:
            from emulator.stack.localstack import start_localstack

            try:
                self._backend = start_localstack()
            except BackendUnavailable as exc:
                if self.requested_backend != Backend.AUTO:
                    raise
                # auto: Docker answered but LocalStack did not come up (e.g. no image offline).
                print(
                    f"scaling-lab: LocalStack unavailable ({exc}); using the embedded backend",
                    file=sys.stderr,
                    flush=True,
                )
                self.backend = Backend.EMBEDDED
        if self._backend is None:
            from emulator.stack.embedded import start_embedded

            self._backend = start_embedded(self.run_dir, persist=self.persist)
        endpoints = self._backend.endpoints
        draft = AppSettings(
            dynamodb_endpoint=endpoints.dynamodb,
            sqs_endpoint=endpoints.sqs,
            cloudwatch_endpoint=endpoints.cloudwatch,
            cursor_secret=secrets.token_urlsafe(32),
            # One handler thread per emulated Lambda environment: an environment runs one
            # request at a time, and botocore's retry backoff sleeps in that thread.
            handler_threads=_handler_threads(self.system),
            extensions=self.extensions,
            system_json=_system_json(self.system),
            retries=_retries(self.system),
        )
        made = provision(endpoints, draft, self.tenant_count)
        self._settings = draft.model_copy(update={"queue_url": made.queue_url})
        self.api_keys, self.tenants = made.api_keys, made.tenants
        self.dead_letter_queue_url = made.dead_letter_queue_url
        if self.worker_concurrency > 0:
            self.start_worker()
        self.start_api()

    def start_api(self) -> None:
        """(Re)start the API process on the stack's port and wait for ``/healthz``."""
        port = self.port or (int(self.url.rsplit(":", 1)[1]) if self.url else free_port())
        self.port = port
        self._api = ChildProcess(
            "api",
            [sys.executable, "-m", "emulator.app.serve", "--port", str(port)],
            self.run_dir / "api.log",
            env={**self.api_env, **self.settings.to_env()},
        )
        self.url = f"http://127.0.0.1:{port}"
        wait_http(self.url + "/healthz", 60, self._api, ok=lambda status: status == 200)

    def restart_stateless(self) -> tuple[list[str], list[str]]:
        """Restart the API and the delivery worker if they exited: they hold no data (the
        backend does), so a restart loses nothing. Returns ``(restarted, fatal)``: one line per
        restarted process, and :meth:`exited` lines of backend processes, which cannot be
        restarted without losing what they hold."""
        restarted: list[str] = []
        for child, restart in ((self._api, self.start_api), (self._worker, self.start_worker)):
            if child is None or child.alive():
                continue
            last = (child.log_tail(1) or "no output").strip()
            line = f"{child.name} exited with code {child.popen.returncode} ({last})"
            child.stop()  # reap it and close its log
            restart()
            restarted.append(f"{line}; restarted (log: {child.log_path})")
        alive_api_worker = {id(self._api), id(self._worker)}
        fatal = [line for child, line in self._exited_lines() if id(child) not in alive_api_worker]
        return restarted, fatal

    def supervise(
        self,
        max_restarts: int,
        window_s: float = 60.0,
        on_restart: Callable[[str], None] = lambda line: None,
        poll_s: float = 0.5,
    ) -> list[str]:
        """Watch the stack until a backend process exits (returns its lines) or the API and
        worker crash more than ``max_restarts`` times within ``window_s``; restart them
        otherwise (each restart reported to ``on_restart``)."""
        recent: list[float] = []
        while True:
            time.sleep(poll_s)
            restarted, fatal = self.restart_stateless()
            if fatal:
                return list(fatal)
            now = time.monotonic()
            for line in restarted:
                recent = [t for t in recent if now - t < window_s] + [now]
                on_restart(line)
                if len(recent) > max_restarts:
                    return [f"{len(recent)} restarts within {window_s:.0f} s; giving up"]

    def kill_api(self) -> None:
        """SIGKILL the API process (crash test); :meth:`start_api` brings it back."""
        if self._api is not None:
            self._api.kill()

    def exited(self) -> list[str]:
        """One line per process of the stack that is no longer running (API, worker, embedded
        backend children): name, exit code and the last line of its log. Empty when healthy."""
        return [line for _, line in self._exited_lines()]

    def _exited_lines(self) -> list[tuple[ChildProcess, str]]:
        children = [self._api, self._worker, *getattr(self._backend, "children", [])]
        lines = []
        for child in children:
            if child is None or child.alive():
                continue
            last = (child.log_tail(1) or "no output").strip()
            lines.append(
                (
                    child,
                    f"{child.name} exited with code {child.popen.returncode} ({last}); "
                    f"log: {child.log_path}",
                )
            )
        return lines

    def start_worker(self) -> None:
        """Start the delivery worker process."""
        self._worker = ChildProcess(
            "worker",
            [
                sys.executable,
                "-m",
                "emulator.app.worker",
                "--concurrency",
                str(self.worker_concurrency),
                "--batch-size",
                str(self.worker_batch_size),
            ],
            self.run_dir / "worker.log",
            env=self.settings.to_env(),
        )

    def stop(self, keep_logs: bool = False) -> None:
        """Stop API, worker and backend (in that order); idempotent. The logs are kept when a
        process had already exited on its own (they say why)."""
        atexit.unregister(self.stop)
        keep_logs = keep_logs or bool(self.exited())
        for child in (self._api, self._worker):
            if child is not None:
                child.stop()
        self._api = self._worker = None
        if self._backend is not None:
            self._backend.stop()
            self._backend = None
        if self._own_run_dir and not keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what others need ---------------------------------------------------------------------
    @property
    def settings(self) -> AppSettings:
        """The API's settings (endpoints, table names, queue URL)."""
        if self._settings is None:
            raise RuntimeError("stack not started")
        return self._settings

    @property
    def endpoints(self) -> Endpoints:
        """Backend endpoint URLs."""
        if self._backend is None:
            raise RuntimeError("stack not started")
        return self._backend.endpoints

    @property
    def queue_url(self) -> str:
        """URL of the delivery queue."""
        return self.settings.queue_url

    def client(self, service: str) -> Any:
        """A boto3 client on the backend: ``dynamodb``, ``sqs``, ``cloudwatch`` or ``s3``."""
        endpoint = getattr(self.endpoints, service, None)
        if endpoint is None:
            raise StackInputError(f"service: {service!r} is not served by this backend")
        return admin_client(service, endpoint, self.settings.region)

    def tenant_of(self, api_key: str) -> str:
        """Tenant id of one of this stack's keys."""
        out = self.client("dynamodb").get_item(
            TableName=self.settings.api_keys_table, Key={"key_hash": {"S": hash_api_key(api_key)}}
        )
        if "Item" not in out:
            raise StackInputError("api_key: not a key of this stack")
        return str(out["Item"]["tenant_id"]["S"])

    def prefill_inbox(
        self,
        api_key: str,
        n: int,
        event_type: str = "prefill.backlog",
        payload_bytes: int = 600,
        threads: int = 4,
    ) -> list[str]:
        """Write ``n`` pending events straight to the table (BatchWriteItem, not the API, not
        enqueued) as an inbox backlog; returns their ids, oldest first."""
        tenant = self.tenant_of(api_key)
        ddb = self.client("dynamodb")
        table = self.settings.events_table
        payload = json.dumps({"data": "x" * max(0, payload_bytes - 12)})
        ids = [new_event_id() for _ in range(n)]
        ids.sort()
        now = utc_now_iso()

        def write(chunk: list[str]) -> None:
            requests = []
            for event_id in chunk:
                item = event_item(tenant, event_id, event_type, now, payload, "prefill", now)
                item["prefill"] = {"BOOL": True}
                requests.append({"PutRequest": {"Item": item}})
            pending: dict[str, Any] = {table: requests}
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

        chunks = [ids[i : i + 25] for i in range(0, len(ids), 25)]
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            list(pool.map(write, chunks))
        return ids

    def queue_depth(self) -> int:
        """Messages in the delivery queue (visible + in flight)."""
        return queue_depth(self.client("sqs"), self.queue_url)

    def audit(
        self, accepted: Iterable[str] | None = None, wait_drain_s: float = 30.0
    ) -> AuditReport:
        """Reconcile accepted ids (optional) with what is stored and enqueued."""
        return audit(self.endpoints, self.settings, accepted, wait_drain_s)

    def state(self) -> dict[str, Any]:
        """Where everything is, without secrets (no API keys, no cursor secret)."""
        settings = self.settings.model_dump(exclude={"cursor_secret", "system_json"})
        return {
            "url": self.url,
            "backend": str(self.backend),
            "pid": os.getpid(),
            "endpoints": asdict(self.endpoints),
            "settings": settings,
            "tenants": self.tenants,
            "run_dir": str(self.run_dir),
        }


@contextmanager
def start_local_stack(
    backend: str = "embedded",
    tenants: int = 2,
    port: int | None = None,
    system: Any = None,
    **options: Any,
) -> Iterator[Stack]:
    """Start a :class:`Stack` and stop it on exit (also when the body raises)."""
    stack = Stack(backend=backend, tenants=tenants, port=port, system=system, **options)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
