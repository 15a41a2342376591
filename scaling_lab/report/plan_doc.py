"""A capacity plan's plan.json as a typed model (what ``scaling-lab plan`` writes and
``report`` reads), and how a report argument is recognised as a plan."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from scaling_lab.errors import InputError, ValidationFailed
from scaling_lab.jsontypes import parse_json
from scaling_lab.scenario.limits import MAX_FILE_BYTES
from scaling_lab.scenario.loader import problems_from

__all__ = [
    "PLAN_FILE",
    "CandidateDoc",
    "DimensionDoc",
    "PassGridDoc",
    "PlanDoc",
    "find_plan",
    "load_plan",
]

#: the name ``plan`` gives its JSON document in its --out folder
PLAN_FILE = "plan.json"
#: a JSON file of another name is read to see whether it is a plan only up to this size
_PEEK_BYTES = 16 * MAX_FILE_BYTES


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DimensionDoc(_Doc):
    paths: list[str]
    values: list[JsonValue]
    bisected: bool

    @property
    def name(self) -> str:
        return ",".join(self.paths)


class CandidateDoc(_Doc):
    values: dict[str, JsonValue]
    passes: int
    seeds: int
    pass_probability: float
    pass_interval_95: tuple[float, float]
    p95_ms: float | None
    first_limit: str | None
    monthly_usd: float
    per_million_events_usd: float | None


class GridAxisDoc(_Doc):
    paths: list[str]
    values: list[JsonValue]

    @property
    def name(self) -> str:
        return ",".join(self.paths)


class PassGridDoc(_Doc):
    x: GridAxisDoc
    y: GridAxisDoc
    fixed: dict[str, JsonValue]
    fixed_from: str
    seeds: list[int]
    passes: list[list[int]]  # passes[iy][ix]


class PlanDoc(_Doc):
    scenario: str
    base_system: str
    seeds: list[int]
    dimensions: list[DimensionDoc]
    grid_size: int
    evaluated: int
    candidates: list[CandidateDoc]
    pareto: list[CandidateDoc]
    recommended: CandidateDoc | None
    recommended_why: dict[str, str] = {}
    notes: list[str]
    pass_grid: PassGridDoc | None = None
    # a candidate passes when at least this share of its seeds do (1: every seed); plans
    # written before the rule existed required every seed
    min_pass_probability: float = 1.0
    pass_rule: str = ""

    @property
    def rule(self) -> str:
        return self.pass_rule or f"every one of {len(self.seeds)} seeds"


def find_plan(ref: str) -> Path | None:
    """The plan.json ``ref`` points at (a plan folder, or a JSON file holding a plan), or
    None when it is not a plan (a result file or a run id)."""
    path = Path(ref)
    if path.is_dir():
        inside = path / PLAN_FILE
        return inside if inside.is_file() else None
    if not path.is_file() or path.suffix != ".json":
        return None
    if path.name == PLAN_FILE:
        return path
    try:
        if path.stat().st_size > _PEEK_BYTES:  # a plan of thousands of candidates is smaller
            return None
        data = parse_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (
        path if isinstance(data, dict) and "candidates" in data and "dimensions" in data else None
    )


def load_plan(path: Path) -> PlanDoc:
    """Read a plan.json; a bad one is a one-line error naming the file and the field."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES * 64:
            raise InputError(f"{path}: larger than {MAX_FILE_BYTES * 64:,} bytes; not a plan")
        data = parse_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not a JSON plan ({str(exc).splitlines()[0]})") from None
    try:
        return PlanDoc.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, str(path))) from None
