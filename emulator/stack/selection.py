"""Which backend to run: ``embedded``, ``localstack``, or ``auto`` (LocalStack when Docker is
reachable, else embedded)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from emulator.stack.errors import BackendUnavailable, StackInputError

__all__ = ["Backend", "select_backend"]


class Backend(StrEnum):
    """Backend names as written on the command line."""

    AUTO = "auto"
    EMBEDDED = "embedded"
    LOCALSTACK = "localstack"


def select_backend(requested: str, docker_reachable: Callable[[], bool]) -> Backend:
    """The concrete backend for a request; ``docker_reachable`` is only asked when needed."""
    try:
        choice = Backend(requested)
    except ValueError:
        names = ", ".join(b.value for b in Backend)
        raise StackInputError(f"backend: {requested!r} is not one of {names}") from None
    if choice is Backend.AUTO:
        return Backend.LOCALSTACK if docker_reachable() else Backend.EMBEDDED
    if choice is Backend.LOCALSTACK and not docker_reachable():
        raise BackendUnavailable(
            "backend localstack: Docker is not reachable (start Docker, or use --backend embedded)"
        )
    return choice
