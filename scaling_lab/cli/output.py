"""Consoles for the CLI: data on stdout, progress and errors on stderr."""

from __future__ import annotations

from rich.console import Console

__all__ = ["err", "out"]

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:  # logs and CI: wide enough that tables never wrap figures
    out.width = max(out.width, 140)
err = Console(stderr=True, highlight=False, soft_wrap=True)
