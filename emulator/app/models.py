"""Request and response models of the Triggers API (pydantic v2, unknown fields rejected)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = ["AckOut", "EventAccepted", "EventIn", "EventOut", "InboxPage"]

EVENT_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"


class EventIn(BaseModel):
    """Body of ``POST /v1/events``."""

    model_config = ConfigDict(extra="forbid", strict=False)

    event_type: str = Field(pattern=EVENT_TYPE_PATTERN, description="e.g. order.created")
    timestamp: AwareDatetime = Field(description="RFC 3339 time with offset, when it happened")
    payload: dict[str, Any] = Field(description="any JSON object")

    @field_validator("timestamp", mode="before")
    @classmethod
    def _rfc3339_text(cls, value: Any) -> Any:
        # pydantic would read a number as Unix time; the API takes RFC 3339 text only.
        if not isinstance(value, str):
            raise ValueError("expected an RFC 3339 date-time string with offset")
        return value


class EventAccepted(BaseModel):
    """``202`` body of ``POST /v1/events``."""

    event_id: str
    status: str = "pending"
    duplicate: bool = Field(default=False, description="true when an idempotent retry")


class EventOut(BaseModel):
    """One event in the inbox."""

    event_id: str
    event_type: str
    timestamp: datetime
    received_at: datetime
    payload: dict[str, Any]


class InboxPage(BaseModel):
    """``200`` body of ``GET /v1/inbox``."""

    events: list[EventOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: end")


class AckOut(BaseModel):
    """``200`` body of ``POST /v1/events/{id}/ack``."""

    event_id: str
    status: str = "delivered"
