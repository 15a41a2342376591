"""Consoles for the CLI: data on stdout, progress and errors on stderr."""

from __future__ import annotations

from rich.console import Console

__all__ = ["err", "out", "wide"]

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:  # logs and CI: wide enough that tables never wrap figures
    out.width = max(out.width, 140)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def wide() -> Console:
    """stdout; 160 columns wide when it is not a terminal (pipes, CI logs), not rich's 80."""
    if out.is_terminal:
        return out
    return Console(file=out.file, width=160, highlight=False, soft_wrap=True, no_color=True)
