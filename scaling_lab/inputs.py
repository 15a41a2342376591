"""A scenario and the system it runs on, loaded together the way every command needs them: the
scenario by name or path, its system from ``--system`` or the scenario's ``system:`` field,
a relative path resolved against the scenario file's folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaling_lab.scenario.loader import find_scenario, load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.loader import load_system
from scaling_lab.system.models import SystemConfig

__all__ = ["Inputs", "load_inputs"]


@dataclass(frozen=True)
class Inputs:
    path: Path  # the scenario file
    scenario: Scenario
    system: SystemConfig


def load_inputs(scenario: str | Path, system: str | Path | None = None) -> Inputs:
    """Load both (InputError / ValidationFailed naming the file and field on bad input)."""
    path = find_scenario(scenario)
    sc = load_scenario(path)
    return Inputs(path, sc, load_system(system or sc.system, relative_to=path))
