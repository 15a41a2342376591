"""Consoles for the CLI: data on stdout, progress and errors on stderr. Emoji codes are off:
they are not used, and ``:smile:`` or ``a:b:c`` in a file name or an option echoed in a message
must print as written."""

from __future__ import annotations

from rich.console import Console

__all__ = ["err", "out", "wide"]

out = Console(highlight=False, soft_wrap=True, emoji=False)
if not out.is_terminal:  # logs and CI: wide enough that tables never wrap figures
    out.width = max(out.width, 140)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def wide() -> Console:
    """stdout; 160 columns wide when it is not a terminal (pipes, CI logs), not rich's 80."""
    if out.is_terminal:
        return out
    return Console(
        file=out.file, width=160, highlight=False, soft_wrap=True, no_color=True, emoji=False
    )
