"""``baseline set|show``: the baseline each scenario is compared against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scaling_lab.cli.options import JsonOpt, StoreOpt
from scaling_lab.cli.output import err, out, wide
from scaling_lab.errors import ExitCode
from scaling_lab.formatting import fmt_or_dash, fmt_pct

__all__ = ["register"]


baseline_app = typer.Typer(
    help="Set or show the baseline each scenario is compared against.", no_args_is_help=True
)


@baseline_app.command("set")
def _baseline_set(
    run: Annotated[
        str,
        typer.Argument(
            help="run id (or unique part), 'latest[:scenario]', or a result file (recorded first)"
        ),
    ],
    store: StoreOpt = None,
) -> int:
    """Make RUN the baseline of its scenario (per kind: predicted and observed apart)."""
    from scaling_lab.result.io import load_result
    from scaling_lab.store import open_store

    with open_store(store) as st:
        is_file = Path(run).is_file()
        run_id = st.record(load_result(run)).run_id if is_file else st.find(run).run_id
        b = st.set_baseline(run_id)
    out.print(f"baseline of {b.scenario} ({b.kind}): {b.run_id}")
    return ExitCode.OK


@baseline_app.command("show")
def _baseline_show(
    scenario: Annotated[str | None, typer.Argument(help="only this scenario")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Show the baselines and their key figures."""
    from scaling_lab.store import open_store

    with open_store(store) as st:
        rows = [
            (b, st.find(b.run_id))
            for b in st.baselines()
            if scenario is None or b.scenario == scenario
        ]
    if as_json:
        out.print_json(json.dumps([{**b.to_dict(), "run": r.to_dict()} for b, r in rows]))
        return ExitCode.OK
    if not rows:
        err.print(
            "no baseline set"
            + (f" for {scenario}" if scenario else "")
            + "; use `scaling-lab baseline set RUN`"
        )
        return ExitCode.OK
    table = Table(show_edge=False)
    for col in ("scenario", "kind", "run", "set (UTC)", "git", "p95", "p99", "errors", "ok/s"):
        table.add_column(col)
    for b, r in rows:
        table.add_row(
            b.scenario,
            b.kind,
            b.run_id,
            b.set_at.replace("+00:00", ""),
            (r.git_sha or "-")[:8],
            fmt_or_dash(r.p95_ms, ".1f"),
            fmt_or_dash(r.p99_ms, ".1f"),
            fmt_pct(r.error_rate, 3),
            fmt_or_dash(r.throughput_per_s, ",.0f"),
        )
    wide().print(table)
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.add_typer(baseline_app, name="baseline")
