"""Errors of the local stack (subclasses of scaling_lab's one exception tree)."""

from __future__ import annotations

from scaling_lab.errors import EnvironmentProblem, InputError

__all__ = ["BackendUnavailable", "StackInputError"]


class BackendUnavailable(EnvironmentProblem):
    """A backend could not be installed or started, or did not become healthy in time."""


class StackInputError(InputError):
    """An option of the stack cannot be used as given (e.g. an unknown backend name)."""
