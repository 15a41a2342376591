"""Check scenario and system files the way ``validate`` does: every file parsed once, each
problem with its file and field path, and each scenario against the system it names (resolved
as ``predict`` and ``run`` resolve it) or the one given."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scaling_lab.errors import InputError, Problem, ValidationFailed
from scaling_lab.jsontypes import JsonObject
from scaling_lab.scenario.loader import load_model, model_from_data, read_yaml
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.indexes import undeclared_indexes
from scaling_lab.system.loader import find_system
from scaling_lab.system.models import SystemConfig

__all__ = ["FileCheck", "check_files"]


@dataclass
class FileCheck:
    """What :func:`check_files` found."""

    ok: list[tuple[Path, str]] = field(default_factory=list)  # (file, scenario | system)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _kind_of(path: Path, data: JsonObject) -> type[Scenario] | type[SystemConfig]:
    if path.parent.name == "systems":
        return SystemConfig
    if "traffic" not in data and ({"lambda", "dynamodb", "front_door", "sqs", "sdk"} & set(data)):
        return SystemConfig
    return Scenario


def _index_warnings(
    scenario: Scenario, path: Path, systems: list[tuple[Path, SystemConfig]]
) -> list[str]:
    lines: list[str] = []
    for sys_path, system in systems:
        for index, endpoints in undeclared_indexes(scenario, system).items():
            used_by = ", ".join(e.value for e in endpoints)
            who = f"endpoints {used_by} use" if len(endpoints) > 1 else f"endpoint {used_by} uses"
            lines.append(
                f"{path}: {who} the app's index {index!r}, which system "
                f"{system.name!r} ({sys_path}) does not declare in dynamodb.gsis: its capacity "
                "and per-key limits are left out of predictions"
            )
    return lines


def _system_file(ref: str, relative_to: Path | None = None) -> tuple[Path, SystemConfig]:
    path = find_system(ref, relative_to)
    return path, load_model(path, SystemConfig)


def check_files(files: list[Path], system: str | None = None) -> FileCheck:
    """Validate each file; check scenarios against ``system`` (name or file), else the system
    files among ``files``, else each scenario's own."""
    result = FileCheck()
    problems: list[Problem] = []
    scenarios: list[tuple[Path, Scenario]] = []
    systems: list[tuple[Path, SystemConfig]] = []
    for path in files:
        try:
            if not path.is_file():
                raise InputError(f"{path}: file not found")
            data = read_yaml(path)  # read and parsed once
            model = _kind_of(path, data)
            loaded = model_from_data(data, str(path), model)
            label = "system" if model is SystemConfig else "scenario"
            if isinstance(loaded, SystemConfig):
                systems.append((path, loaded))
            elif isinstance(loaded, Scenario):
                scenarios.append((path, loaded))
            result.ok.append((path, label))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        except InputError as exc:
            problems.append(Problem(str(path), "", str(exc).removeprefix(f"{path}: ")))
    warnings: list[str] = []
    chosen: list[tuple[Path, SystemConfig]] | None = None
    if system is not None:
        try:
            chosen = [_system_file(system)]
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            chosen = []
        except InputError as exc:
            problems.append(Problem("--system", "", str(exc)))
            chosen = []
    elif systems:
        chosen = systems
    for path, sc in scenarios:
        # the system the scenario names, resolved as predict and run resolve it
        try:
            own = [_system_file(sc.system, relative_to=path)]
        except ValidationFailed as exc:
            own = None
            if system is None:
                problems.extend(exc.problems)
            else:
                warnings.append(f"{path}: system {sc.system!r} is not valid (--system used)")
        except InputError as exc:
            own = None
            msg = f"system {sc.system!r}: {exc}"
            if system is None:
                problems.append(Problem(str(path), "system", msg))
            else:
                warnings.append(f"{path}: {msg} (--system {system} used instead)")
        against = chosen if chosen is not None else own
        if against is not None:
            warnings.extend(_index_warnings(sc, path, against))
    result.problems = problems
    result.warnings = warnings
    return result
