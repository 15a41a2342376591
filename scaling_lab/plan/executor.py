"""Where a plan's trials run: this machine's cores (a process pool), in this process, or a Dask
cluster (``dask://HOST:PORT``; dask.distributed schedules, nothing home-made). Every executor
returns results in the order of its inputs and each trial is seeded, so the plan is the same
on all of them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

from scaling_lab.errors import EnvironmentProblem, InputError

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "check_executor",
    "make_executor",
    "max_local_workers",
]

WORKERS_PER_CORE = 4  # local:N above this many processes per core only adds forks and memory

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """A process pool of ``workers`` (default: every core); 1 runs in this process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.name = "serial" if self.workers == 1 else f"local ({self.workers} processes)"
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if self.workers == 1 or len(items) <= 1:
            return [fn(x) for x in items]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return list(self._pool.map(fn, items))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Trials as tasks on a dask.distributed cluster (its scheduler at ``address``, or a
    ``distributed.Client`` given directly)."""

    def __init__(self, address: str | None = None, client: object | None = None) -> None:
        from distributed import Client  # a dependency of scaling-lab

        if client is None:
            try:
                client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise EnvironmentProblem(
                    f"--executor dask: no Dask scheduler at {address} ({exc})"
                ) from None
            except ValueError as exc:  # an address distributed cannot parse
                raise InputError(f"--executor dask: {address}: {exc}") from None
        self._client = client
        self._own = address is not None
        self.name = f"dask ({address or 'client'})"

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        client = self._client
        futures = client.map(fn, list(items), pure=False)  # type: ignore[attr-defined]
        return list(client.gather(futures))  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._own:
            self._client.close()  # type: ignore[attr-defined]


def max_local_workers() -> int:
    """The most processes ``local:N`` may ask for: :data:`WORKERS_PER_CORE` per core (trials
    are CPU-bound, so more only costs forks and memory; a huge N was a fork storm)."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check_executor(spec: str) -> str | None:
    """What is wrong with an executor spec, or None."""
    if spec in ("local", "serial"):
        return None
    if spec.startswith("local:"):
        n = spec.removeprefix("local:")
        digits = n.lstrip("0")
        if not (n.isascii() and n.isdigit() and digits):
            return "expected local:N with N >= 1"
        cap = max_local_workers()
        if len(digits) > len(str(cap)) or int(digits) > cap:  # no int() of a 5,000-digit N
            return (
                f"local:N is at most {cap} processes on this machine "
                f"({WORKERS_PER_CORE} per core, {os.cpu_count() or 1} cores)"
            )
        return None
    if spec.startswith("dask://"):
        return _dask_problem(spec.removeprefix("dask://"))
    return "expected local, local:N, serial or dask://HOST:PORT"


_DASK_HOST = re.compile(r"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]")


def _dask_problem(hostport: str) -> str | None:
    """What is wrong with the HOST:PORT of ``dask://HOST:PORT`` (an IPv6 host in brackets,
    ``dask://[::1]:8786``), or None."""
    host, sep, port = hostport.rpartition(":")
    if not sep:
        return "expected dask://HOST:PORT"
    if not _DASK_HOST.fullmatch(host):
        return (
            f"expected dask://HOST:PORT; host {host!r} is not a host name or address "
            "(an IPv6 address in brackets: dask://[::1]:8786)"
        )
    if not (port.isascii() and port.isdigit() and len(port) <= 5 and 1 <= int(port) <= 65535):
        return f"expected dask://HOST:PORT; port {port!r} is not 1..65535"
    return None


def make_executor(spec: str | None) -> Executor:
    """``None``/``local`` (every core), ``local:N``, ``serial``, or ``dask://HOST:PORT``."""
    if spec is None or spec == "local":
        return LocalExecutor()
    problem = check_executor(spec)
    if problem:
        raise InputError(f"--executor {spec!r}: {problem}")
    if spec == "serial":
        return LocalExecutor(1)
    if spec.startswith("local:"):
        return LocalExecutor(int(spec.removeprefix("local:")))
    return DaskExecutor("tcp://" + spec.removeprefix("dask://"))
