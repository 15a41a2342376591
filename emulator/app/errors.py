"""Errors the API answers with: an HTTP status and a JSON error body, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiError", "FieldError"]


@dataclass(frozen=True)
class FieldError:
    """One invalid field of a request: its dotted path and what was expected."""

    field: str
    message: str


@dataclass
class ApiError(Exception):
    """Stops a request and answers ``status`` with ``{"error": {...}}``."""

    status: int
    code: str
    message: str
    details: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = [{"field": d.field, "message": d.message} for d in self.details]
        return {"error": error}
