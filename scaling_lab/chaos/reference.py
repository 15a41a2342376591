"""Generate docs/experiment-reference.md from the experiment schema (the pydantic models).

python -m scaling_lab.chaos.reference            # print
python -m scaling_lab.chaos.reference --write    # update docs/experiment-reference.md
"""

from __future__ import annotations

from pathlib import Path

from scaling_lab.chaos.models import Experiment
from scaling_lab.report.reference import render_model_reference, write_or_print

__all__ = ["DOC_PATH", "render_experiment_reference"]

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "experiment-reference.md"

_ORDER = ["Experiment", "Hypothesis", "Probe", "Action", "StopCondition", "Rollback"]


def render_experiment_reference() -> str:
    intro = (
        "An experiment file (`scenarios/experiments/*.yaml`) runs a load scenario with a "
        "method of timed faults and judges a steady-state hypothesis before, during and after "
        'them (docs/chaos.md). Unknown keys are errors. Durations are written as `"30s"`, '
        '`"2m"` or a number of seconds. Tolerances use k6\'s threshold grammar (`p(95)<100`, '
        "`rate<0.001`, `max<=0`, `value<120`), with `over 10s` for windows. "
        "`scaling-lab chaos validate FILE` checks a file with its scenario and system; "
        "`scaling-lab schema experiment` prints the JSON Schema for editors."
    )
    return render_model_reference(
        Experiment,
        _ORDER,
        "Experiment reference",
        "`python -m scaling_lab.chaos.reference --write` from the experiment schema "
        "(scaling_lab/chaos/models.py)",
        intro,
    )


def main(argv: list[str] | None = None) -> int:
    return write_or_print(render_experiment_reference(), DOC_PATH, argv)


if __name__ == "__main__":
    raise SystemExit(main())
