"""``history`` and ``history-add``: the runs recorded in the history store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from scaling_lab.cli.options import JsonOpt, StoreOpt
from scaling_lab.cli.output import err, out, wide
from scaling_lab.errors import ExitCode, InputError
from scaling_lab.formatting import fmt_or_dash, fmt_pct

__all__ = ["register"]


def _short_target(target: str) -> str:
    """model, local, or a URL's host."""
    from urllib.parse import urlsplit

    if "://" not in target:
        return target
    return urlsplit(target).netloc or target


def _history(
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="only this scenario", envvar="SCALING_LAB_SCENARIO"),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="predicted | observed", envvar="SCALING_LAB_KIND")
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", help="newest N runs", envvar="SCALING_LAB_LIMIT", min=1, max=1_000_000
        ),
    ] = 20,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """List recorded runs, newest first (baselines marked with *)."""
    from scaling_lab.store import open_store

    if kind is not None and kind not in ("predicted", "observed"):
        raise InputError(f"--kind {kind!r}: expected predicted or observed")
    with open_store(store) as st:
        runs = st.runs(scenario=scenario, kind=kind, limit=limit)
        base_ids = {b.run_id for b in st.baselines()}
        location = st.location
    if as_json:
        out.print_json(
            json.dumps([{**r.to_dict(), "baseline": r.run_id in base_ids} for r in runs])
        )
        return ExitCode.OK
    if not runs:
        err.print(f"no runs recorded in {location}")
        return ExitCode.OK
    out.print(f"history: {location}")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("run", no_wrap=True)
    left = ("kind", "started", "target", "backend", "system")
    for col in (*left[:2], "target", "backend", "system", "scale", "p95 ms", "p99 ms"):
        table.add_column(col, no_wrap=True, justify="left" if col in left else "right")
    for col in ("errors", "ok/s", "gate"):
        table.add_column(col, no_wrap=True, justify="right")
    for r in runs:
        gate = (
            Text("-", "dim")
            if r.thresholds_passed is None
            else (Text("pass", "green") if r.thresholds_passed else Text("FAIL", "red"))
        )
        table.add_row(
            ("*" if r.run_id in base_ids else " ") + r.run_id,
            r.kind,
            r.started_at[5:16].replace("T", " "),
            _short_target(r.target),
            r.backend or "-",
            r.system,
            f"x{r.scale:g}",
            fmt_or_dash(r.p95_ms, ".1f"),
            fmt_or_dash(r.p99_ms, ".1f"),
            fmt_pct(r.error_rate),
            fmt_or_dash(r.throughput_per_s, ",.0f"),
            gate,
        )
    wide().print(table)
    out.print("* baseline; times in UTC; --json for every column (full target, git sha)")
    return ExitCode.OK


def _history_add(
    results: Annotated[list[Path], typer.Argument(help="result JSON files to record")],
    store: StoreOpt = None,
) -> int:
    """Record result files made elsewhere (CI artifacts, older runs) in the history."""
    from scaling_lab.result.io import load_result
    from scaling_lab.store import open_store

    with open_store(store) as st:
        for path in results:
            rec = st.record(load_result(path))
            out.print(f"recorded {rec.run_id}  ({rec.scenario}, {rec.kind}) in {st.location}")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("history")(_history)
    app.command("history-add")(_history_add)
