"""A report as data (sections of paragraphs, bullet lists, tables, key figures and plots), so the
Markdown and HTML renderers say exactly the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "NOT_OBSERVED",
    "Block",
    "Bullets",
    "Document",
    "Figure",
    "KeyFigure",
    "Para",
    "Section",
    "Table",
    "status_word",
]

NOT_OBSERVED = "not observed"


def status_word(passed: bool | None) -> str:
    return NOT_OBSERVED if passed is None else ("PASS" if passed else "FAIL")


@dataclass(frozen=True)
class Para:
    text: str  # may hold `code` and **bold**


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    right: frozenset[int] = frozenset()  # right-aligned columns (numbers)


@dataclass(frozen=True)
class Figure:
    name: str  # plot name; the file is plots/<name>.png
    title: str
    caption: str


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    status: str | None = None  # PASS | FAIL | not observed | None


Block = Para | Bullets | Table | Figure | list[KeyFigure]


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]
    plots: dict[str, bytes] = field(default_factory=dict)  # name -> PNG
