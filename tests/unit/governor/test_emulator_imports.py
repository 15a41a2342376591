"""The emulator stands on the rulebook and the input models only, never on the simulator."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[3] / "emulator"
# The rulebook (figure and metric names included), the input models, the exception base the
# CLI maps to exit codes, and the metrics document the governor serves and observe reads.
ALLOWED = (
    "scaling_lab.aws",
    "scaling_lab.system",
    "scaling_lab.scenario",
    "scaling_lab.errors",
    "scaling_lab.observe.document",
)


def _scaling_lab_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n == "scaling_lab" or n.startswith("scaling_lab.")}


def test_emulator_imports_only_the_rulebook_and_the_models() -> None:
    bad = {
        f"{p.relative_to(EMULATOR.parent)}: {name}"
        for p in EMULATOR.rglob("*.py")
        for name in _scaling_lab_imports(p)
        if not name.startswith(ALLOWED)
    }
    assert not bad, sorted(bad)


def test_importing_the_governor_loads_no_simpy_and_no_model() -> None:
    code = (
        "import sys, emulator.governor, emulator.stack; "
        "bad = [m for m in sys.modules if m == 'simpy' or m.startswith('scaling_lab.model')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
