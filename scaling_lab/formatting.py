"""Number formatting shared by the terminal, Markdown/HTML reports, JUnit and the CLI.

Missing values are spelled by the caller's convention (``n/a`` in summaries, ``null`` in
comparisons, ``-`` in tables), never as 0.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "fmt_change",
    "fmt_ms",
    "fmt_num",
    "fmt_or_dash",
    "fmt_pct",
    "fmt_utc",
    "fmt_value",
]


def fmt_ms(v: float | None) -> str:
    """A latency: whole milliseconds from 100 ms up, one decimal below."""
    if v is None:
        return "n/a"
    return f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms"


def fmt_num(v: float | None, digits: int = 0) -> str:
    """A number with thousands separators."""
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def fmt_or_dash(v: float | None, spec: str) -> str:
    """``format(v, spec)``, or ``-`` when missing (table cells)."""
    return "-" if v is None else format(v, spec)


def fmt_value(v: float | None, unit: str = "") -> str:
    """A compared figure: ratios (no unit, below 1) with 4 decimals, else 0-1 decimals."""
    if v is None:
        return "null"
    if unit == "" and abs(v) < 1:
        return f"{v:.4f}"
    if abs(v) >= 100:
        return f"{v:,.0f}{(' ' + unit) if unit else ''}"
    return f"{v:.1f}{(' ' + unit) if unit else ''}"


def fmt_pct(v: float | None, digits: int = 2) -> str:
    """A rate as a percentage, or ``-`` when missing."""
    return "-" if v is None else f"{v:.{digits}%}"


def fmt_change(x: float | None, *, points: bool = False) -> str:
    """A signed relative change (+12.3%), or percentage points for a rate (+0.05 pp)."""
    if x is None:
        return "n/a"
    return f"{x * 100:+.2f} pp" if points else f"{x:+.1%}"


def fmt_utc(t: datetime, *, seconds: bool = False) -> str:
    """A time in UTC, labelled so (a naive time is taken as UTC, as results store it)."""
    utc = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
