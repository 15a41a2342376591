"""``collect``: fold the samples of k6 runners (execution segments, k6-operator pods) into
one result, with exactly merged percentiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli import results
from scaling_lab.cli.options import opt
from scaling_lab.cli.output import out

__all__ = ["register"]


def _collect(
    scenario: Annotated[str, typer.Argument(help="scenario name or file the runners ran")],
    files: Annotated[
        list[Path], typer.Argument(help="one k6 CSV sample file per runner (plain or .gz)")
    ],
    target: Annotated[str, opt("--target", "the URL the runners loaded (for the record)")] = (
        "unknown"
    ),
    scale: Annotated[
        float, opt("--scale", "the scale the runners ran at", min=1e-6, max=1000)
    ] = 1.0,
    system: Annotated[str | None, opt("--system", "system file")] = None,
    out_dir: Annotated[Path, opt("--out", "folder for <run_id>.json")] = Path("runs"),
) -> int:
    """Fold k6 runners' samples into one result (exact merged percentiles); exit 99 if its
    thresholds fail."""
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.inputs import load_inputs
    from scaling_lab.load.segments import collect_result

    writable_dir(out_dir, "--out")
    inputs = load_inputs(scenario, system)
    result = collect_result(inputs.scenario, inputs.system, files, target=target, scale=scale)
    dest = results.save(result, out_dir)
    results.show(result)
    results.notes(result)
    out.print(f"result: {dest}")
    return results.finish(result)


def register(app: typer.Typer) -> None:
    app.command("collect")(_collect)
