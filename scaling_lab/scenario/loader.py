"""Load scenario and system files (YAML) into typed models, collecting every problem."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from scaling_lab.errors import InputError, Problem, ValidationFailed

__all__ = [
    "find_scenario",
    "find_system",
    "list_scenario_files",
    "load_scenario",
    "load_system",
    "scenarios_dir",
]

M = TypeVar("M", bound=BaseModel)


def scenarios_dir() -> Path:
    """Where shipped scenarios live: $SCALING_LAB_SCENARIOS, ./scenarios, or the project's own."""
    env = os.environ.get("SCALING_LAB_SCENARIOS")
    if env:
        return Path(env)
    local = Path.cwd() / "scenarios"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "scenarios"


def list_scenario_files() -> list[Path]:
    return sorted(p for p in scenarios_dir().glob("*.yaml") if p.is_file())


def _resolve(ref: str | Path, folder: Path, kind: str) -> Path:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists() or os.sep in str(ref):
        if not path.is_file():
            raise InputError(f"{kind} file not found: {path}")
        return path
    candidate = folder / f"{ref}.yaml"
    if candidate.is_file():
        return candidate
    known = sorted(p.stem for p in folder.glob("*.yaml"))
    raise InputError(
        f"unknown {kind} {str(ref)!r}; expected a file path or one of: {', '.join(known)}"
    )


def find_scenario(ref: str | Path) -> Path:
    return _resolve(ref, scenarios_dir(), "scenario")


def find_system(ref: str | Path, relative_to: Path | None = None) -> Path:
    folder = (relative_to.parent if relative_to else scenarios_dir()) / "systems"
    if not folder.is_dir():
        folder = scenarios_dir() / "systems"
    return _resolve(ref, folder, "system")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationFailed(
            [Problem(str(path), "", f"invalid YAML{where}: {problem}")]
        ) from None
    if data is None:
        raise ValidationFailed([Problem(str(path), "", "file is empty; expected a mapping")])
    if not isinstance(data, dict):
        raise ValidationFailed(
            [Problem(str(path), "", f"expected a mapping at the top, got {type(data).__name__}")]
        )
    return data


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("constant", "exponential", "lognormal", "empirical") or part.startswith(
            "function-"
        ):
            continue  # discriminator tags and validator wrappers, not user-visible fields
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from(error: ValidationError, source: str) -> list[Problem]:
    """Turn pydantic's errors into one-line problems naming the field path."""
    problems = []
    for e in error.errors():
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (not allowed here)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif (
            e["type"] not in ("value_error",)
            and "input" in e
            and not isinstance(e["input"], dict | list)
        ):
            msg = f"{msg} (got {e['input']!r})"
        problems.append(Problem(source, _loc(e["loc"]), msg))
    return problems


def load_model(path: Path, model: type[M]) -> M:
    data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, str(path))) from None


def load_scenario(ref: str | Path) -> Any:
    """Load a scenario by name (``spike``) or path; returns a ``Scenario``."""
    from scaling_lab.scenario.models import Scenario

    return load_model(find_scenario(ref), Scenario)


def load_system(ref: str | Path, relative_to: Path | None = None) -> Any:
    """Load a system file by name (``staging``) or path; returns a ``SystemConfig``."""
    from scaling_lab.system.models import SystemConfig

    return load_model(find_system(ref, relative_to), SystemConfig)
