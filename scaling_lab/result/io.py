"""Read and write RunResult JSON files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from scaling_lab.errors import InputError, ValidationFailed
from scaling_lab.jsontypes import parse_json
from scaling_lab.result.models import SCHEMA_VERSION, RunResult

__all__ = ["dump_result", "load_result", "save_result"]


def dump_result(result: RunResult) -> str:
    return result.model_dump_json(by_alias=True, indent=1)


def save_result(result: RunResult, path: Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a result."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".result-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dump_result(result))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_result(path: Path | str) -> RunResult:
    from scaling_lab.scenario.loader import problems_from

    path = Path(path)
    if path.is_dir():
        # a run folder: its observed result (verify writes predicted.json next to it)
        candidates = sorted(path.glob("*.json"))
        observed = path / "observed.json"
        if observed.is_file():
            path = observed
        elif len(candidates) == 1:
            path = candidates[0]
        else:
            names = ", ".join(c.name for c in candidates[:6]) or "none"
            raise InputError(
                f"{path} is a folder with {len(candidates)} JSON files ({names}); name one"
            )
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"result file not found: {path}") from None
    except (OSError, ValueError) as exc:  # ValueError: bad JSON or UTF-8, too deep, huge int
        raise InputError(f"{path}: not a result file ({exc})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InputError(f"{path}: not a scaling-lab result (no schema_version)")
    if data["schema_version"] != SCHEMA_VERSION:
        raise InputError(
            f"{path}: schema_version {data['schema_version']!r} is not supported "
            f"(this scaling-lab reads {SCHEMA_VERSION})"
        )
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, str(path))) from None
