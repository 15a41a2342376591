"""The Typer application object every command module registers on."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(
    name="scaling-lab",
    help=(
        "Predict, emulate and observe whether a serverless API survives a traffic spike.\n\n"
        "Exit codes: 0 ok, 2 invalid input or usage, 3 environment problem, "
        "98 chaos hypothesis deviated, 99 thresholds failed, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
