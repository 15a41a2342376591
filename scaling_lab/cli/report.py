"""``report``: PERFORMANCE_BASELINE.md and a self-contained report.html for one or more runs,
with a capacity-plan section for each plan folder (or plan.json) given."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode

__all__ = ["register"]


def _report(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="result files or run ids from the history; give a predicted and an observed run "
            "to add predicted vs observed; a plan folder or plan.json adds its capacity plan"
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="folder to write the report into", envvar="SCALING_LAB_OUT"),
    ] = Path("report"),
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="history to look run ids up in (SQLite file or s3://bucket/prefix)",
            envvar="SCALING_LAB_STORE",
        ),
    ] = None,
) -> int:
    """Write PERFORMANCE_BASELINE.md (CAPACITY_PLAN.md for plans alone), plots/*.png and
    report.html (plots embedded)."""
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.report import find_plan, load_plan, pick_primary, write_report
    from scaling_lab.report.chaos_section import find_chaos_run, load_chaos_run
    from scaling_lab.result import load_result
    from scaling_lab.store import open_store, resolve_result

    writable_dir(out_dir, "--out")
    plan_paths = {r: find_plan(r) for r in runs}
    plans = [load_plan(p) for p in plan_paths.values() if p is not None]
    runs = [r for r, p in plan_paths.items() if p is None]
    chaos_dirs = {r: find_chaos_run(r) for r in runs}
    chaos_runs = [load_chaos_run(d) for d in chaos_dirs.values() if d is not None]
    chaos = [(c, load_result(c.result_path)) for c in chaos_runs]
    runs = [r for r, d in chaos_dirs.items() if d is None]
    needs_store = [r for r in runs if not Path(r).exists() and not r.endswith(".json")]
    if needs_store:
        with open_store(store) as st:
            results = [resolve_result(r, st) for r in runs]
    else:
        results = [resolve_result(r) for r in runs]
    results = [*results, *(result for _run, result in chaos)]
    command = (
        "scaling-lab " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        if (len(sys.argv) > 1 and sys.argv[1] == "report")
        else None
    )
    files = write_report(results, out_dir, command=command, plans=plans, chaos=chaos)
    if results:
        primary, other = pick_primary(results)
        err.print(f"report of {primary.run_id}" + (f" with {other.run_id}" if other else ""))
    for plan in plans:
        err.print(f"capacity plan of {plan.scenario} on {plan.base_system}")
    for run, _result in chaos:
        err.print(f"chaos experiment {run.folder.name}")
    out.print(str(files.markdown))
    out.print(str(files.html))
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("report")(_report)
