"""A scenario and the system it runs on, loaded together the way every command needs them: the
scenario by name or path, its system from ``--system`` or the scenario's ``system:`` field,
a relative path resolved against the scenario file's folder, then any ``--set`` overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scaling_lab.errors import InputError, ValidationFailed
from scaling_lab.scenario.loader import find_scenario, load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.loader import load_system
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.overrides import apply_overrides

__all__ = ["Inputs", "load_inputs"]


@dataclass(frozen=True)
class Inputs:
    path: Path  # the scenario file
    scenario: Scenario
    system: SystemConfig


def load_inputs(
    scenario: str | Path,
    system: str | Path | None = None,
    overrides: Iterable[str] = (),
    *,
    system_from: str = "--system",
) -> Inputs:
    """Load both (InputError / ValidationFailed naming the file and field on bad input);
    ``overrides``: ``--set path=value`` what-ifs on the system (system/overrides.py).
    ``system_from`` names where ``system`` was given (an unknown one is named there; the
    scenario's own is named as its ``system`` field)."""
    path = find_scenario(scenario)
    sc = load_scenario(path)
    try:
        sysconf = load_system(system or sc.system, relative_to=path)
    except ValidationFailed:
        raise  # the system file's own problems name it
    except InputError as exc:
        where = system_from if system else f"{path}: system"
        raise InputError(f"{where}: {exc}") from None
    return Inputs(path, sc, apply_overrides(sysconf, overrides))
