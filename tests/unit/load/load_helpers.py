"""Shared helpers of the load tests."""

from __future__ import annotations

from pathlib import Path

from scaling_lab.provenance import make_provenance
from scaling_lab.result import ResultBuilder, ResultKind

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "k6"


def make_builder(scenario, system):
    prov = make_provenance(target="local", backend=None, seed=1, mode="k6")
    return ResultBuilder(
        scenario, system, ResultKind.OBSERVED, prov, observable={"dropped_iterations"}
    )
