"""``chaos compare``: an experiment's predicted journal next to an observed one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scaling_lab.cli.options import JsonOpt
from scaling_lab.cli.output import out
from scaling_lab.errors import ExitCode

__all__ = ["compare_command"]


def _fmt(v: float | None) -> str:
    return "-" if v is None else format(v, ",.4g")


def compare_command(
    predicted: Annotated[Path, typer.Argument(help="journal (or run folder) of --target model")],
    observed: Annotated[Path, typer.Argument(help="journal (or run folder) of a local/URL run")],
    json_out: JsonOpt = False,
) -> int:
    """Predicted against observed, per probe and phase: verdicts, values and deviations.
    Exit 99 when a verdict disagrees (or nothing could be compared)."""
    from scaling_lab.chaos.compare import compare_journals, read_journal

    cmp = compare_journals(read_journal(predicted), read_journal(observed))
    if json_out:
        out.print_json(json.dumps(cmp.as_json()))
    else:
        table = Table(
            title=f"{cmp.experiment}: {cmp.predicted_target} vs {cmp.observed_target}",
            title_justify="left",
        )
        for col in ("phase", "probe", "predicted", "observed", "agree", "deviation gap"):
            table.add_column(col)
        for p in cmp.pairs:
            pv = f"{p.predicted.show()} {_fmt(p.predicted.value)}" if p.predicted else "-"
            ov = f"{p.observed.show()} {_fmt(p.observed.value)}" if p.observed else "-"
            agree = {True: "yes", False: "[red]NO[/red]", None: "not compared"}[p.agree]
            table.add_row(p.phase, p.probe, pv, ov, agree, _fmt(p.deviation_gap))
        out.print(table)
        out.print(f"verdicts agree in {cmp.agreed} of {cmp.compared} compared")
    return ExitCode.OK if cmp.passed else ExitCode.THRESHOLDS_FAILED
