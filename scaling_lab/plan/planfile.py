"""A plan file (``scaling-lab plan SCENARIO --plan FILE.yaml``): the ranges, choices, seeds,
probes, executor, ``--set`` overrides and pass-probability grid of a plan, kept with the
scenario instead of on a long command line; and how the command line adds to it.

Options given on the command line replace the file's single values (``--system``,
``--seeds``, ``--seed``, ``--probes``, ``--executor``, ``--mode``, ``--grid``, ``--out``);
``--range``, ``--choice`` and ``--set`` are added after the file's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

from scaling_lab.errors import InputError, Problem, ValidationFailed
from scaling_lab.model.predict import Mode
from scaling_lab.plan.executor import check_executor
from scaling_lab.plan.space import Dimension, parse_choice, parse_range, range_values
from scaling_lab.scenario.limits import MAX_SEED
from scaling_lab.scenario.loader import model_from_data, read_yaml
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.overrides import apply_overrides, parse_override

__all__ = [
    "LabelledDimension",
    "PlanFile",
    "PlanSettings",
    "check_dimensions",
    "load_plan_file",
    "pick_grid",
]

#: defaults of the values a plan file or the command line may leave out
DEFAULT_SEEDS = 10
DEFAULT_PROBES = 2
DEFAULT_OUT = Path("plans")


def _override(text: str) -> str:
    try:
        parse_override(text)
    except InputError as exc:
        raise ValueError(str(exc).removeprefix("--set ")) from None
    return text


Override = Annotated[str, AfterValidator(_override)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _paths(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _check_path(path: str) -> str:
    if not path or not all(k.strip() for k in path.split(".")) or "=" in path:
        raise ValueError(f"expected a dotted system-file path like lambda.memory_mb, got {path!r}")
    return path.strip()


class RangeSpec(_Strict):
    """One range: every path set to lo, lo + step, ... <= hi; bisected (more is never worse)."""

    paths: list[str] = Field(min_length=1, validation_alias=AliasChoices("paths", "path"))
    lo: float
    hi: float
    step: float = Field(gt=0)

    _as_list = field_validator("paths", mode="before")(_paths)

    @field_validator("paths")
    @classmethod
    def _each_path(cls, paths: list[str]) -> list[str]:
        return [_check_path(p) for p in paths]

    @model_validator(mode="after")
    def _bounds(self) -> RangeSpec:
        if self.hi < self.lo:
            raise ValueError(f"hi ({self.hi:g}) is below lo ({self.lo:g})")
        range_values(self.lo, self.hi, self.step)  # its ValueError names the count
        return self

    def dimension(self) -> Dimension:
        return Dimension(tuple(self.paths), range_values(self.lo, self.hi, self.step), True)


class ChoiceSpec(_Strict):
    """One choice: every value tried, at every path."""

    paths: list[str] = Field(min_length=1, validation_alias=AliasChoices("path", "paths"))
    values: list[JsonValue] = Field(min_length=1)

    _as_list = field_validator("paths", mode="before")(_paths)

    @field_validator("paths")
    @classmethod
    def _each_path(cls, paths: list[str]) -> list[str]:
        return [_check_path(p) for p in paths]

    def dimension(self) -> Dimension:
        return Dimension(tuple(self.paths), tuple(self.values), False)


class PlanFile(_Strict):
    """What ``scaling-lab plan`` takes on its command line, as a file."""

    description: str = ""
    system: str | None = None
    set: list[Override] = Field(default_factory=list)
    ranges: list[RangeSpec] = Field(default_factory=list)
    choices: list[ChoiceSpec] = Field(default_factory=list)
    seeds: int | None = Field(default=None, ge=1, le=1000)
    min_pass_probability: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="a candidate passes when at least this fraction of its seeds do (1: all)",
    )
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    probes: int | None = Field(default=None, ge=1, le=64)
    executor: str | None = None
    mode: Mode | None = None
    grid: list[str] | None = Field(default=None, min_length=2, max_length=2)
    out: str | None = None

    @field_validator("executor")
    @classmethod
    def _executor(cls, spec: str | None) -> str | None:
        if spec is not None:
            problem = check_executor(spec)
            if problem:
                raise ValueError(problem)
        return spec

    @field_validator("grid")
    @classmethod
    def _grid(cls, names: list[str] | None) -> list[str] | None:
        if names is not None and not all(n.strip() for n in names):
            raise ValueError("expected two dimension names, e.g. [reserved_concurrency, rps]")
        return names


def load_plan_file(path: Path) -> PlanFile:
    """Read and validate a plan file; every problem names the file and the field."""
    if not path.is_file():
        raise InputError(f"--plan {path}: no such file")
    return model_from_data(read_yaml(path), str(path), PlanFile)


@dataclass(frozen=True)
class LabelledDimension:
    dimension: Dimension
    label: str  # where it was given: "plan.yaml: ranges[0].paths" or "--range 'x=1:2:1'"


@dataclass(frozen=True)
class PlanSettings:
    """A plan's inputs once the file and the command line are merged."""

    system: str | None
    file_set: tuple[str, ...]  # the plan file's ``set``, applied first
    cli_set: tuple[str, ...]  # then ``--set``
    dimensions: tuple[LabelledDimension, ...]
    seeds: int
    seed: int | None
    probes: int
    executor: str | None
    mode: Mode
    grid: tuple[str, str] | None
    out: Path
    source: str | None  # the plan file, if one was given
    grid_from_file: bool = False
    min_pass_probability: float = 1.0  # the fraction of seeds a candidate must pass

    @staticmethod
    def merge(
        file: PlanFile | None,
        file_path: Path | None = None,
        *,
        system: str | None = None,
        overrides: Sequence[str] = (),
        ranges: Sequence[str] = (),
        choices: Sequence[str] = (),
        seeds: int | None = None,
        seed: int | None = None,
        probes: int | None = None,
        executor: str | None = None,
        mode: str | None = None,
        grid: str | None = None,
        out: Path | None = None,
        min_pass_probability: float | None = None,
    ) -> PlanSettings:
        """The command line's values over the file's: single values replace, lists extend."""
        f = file or PlanFile()
        src = str(file_path) if file_path is not None else "plan file"
        dims = [
            LabelledDimension(r.dimension(), f"{src}: ranges[{i}].paths")
            for i, r in enumerate(f.ranges)
        ]
        dims += [
            LabelledDimension(c.dimension(), f"{src}: choices[{i}].paths")
            for i, c in enumerate(f.choices)
        ]
        dims += [LabelledDimension(parse_range(r), f"--range {r!r}") for r in ranges]
        dims += [LabelledDimension(parse_choice(c), f"--choice {c!r}") for c in choices]
        if mode is not None and mode not in {m.value for m in Mode}:
            raise InputError(f"--mode {mode!r}: expected fast or exact")
        if grid is not None:
            names = [n.strip() for n in grid.split(",")]
            if len(names) != 2 or not all(names):
                raise InputError(f"--grid {grid!r}: expected two dimensions, e.g. reserved,rps")
            picked: tuple[str, str] | None = (names[0], names[1])
        else:
            picked = None if f.grid is None else (f.grid[0], f.grid[1])
        return PlanSettings(
            system=system if system is not None else _system_ref(f.system, file_path),
            file_set=tuple(f.set),
            cli_set=tuple(overrides),
            dimensions=tuple(dims),
            seeds=seeds if seeds is not None else (f.seeds or DEFAULT_SEEDS),
            seed=seed if seed is not None else f.seed,
            probes=probes if probes is not None else (f.probes or DEFAULT_PROBES),
            executor=executor if executor is not None else f.executor,
            mode=Mode(mode) if mode is not None else (f.mode or Mode.FAST),
            grid=picked,
            out=out if out is not None else (Path(f.out) if f.out else DEFAULT_OUT),
            source=None if file_path is None else str(file_path),
            grid_from_file=grid is None and f.grid is not None,
            min_pass_probability=(
                min_pass_probability
                if min_pass_probability is not None
                else (f.min_pass_probability or 1.0)
            ),
        )

    def base_system(self, system: SystemConfig) -> SystemConfig:
        """``system`` with the file's ``set`` (errors naming the file's ``set``), then the
        command line's ``--set``."""
        try:
            system = apply_overrides(system, self.file_set)
        except ValidationFailed as exc:
            raise ValidationFailed(
                [
                    Problem(self.source or "plan file", "set", str(p).removeprefix("--set: "))
                    for p in exc.problems
                ]
            ) from None
        except InputError as exc:
            raise InputError(f"{self.source}: set: {str(exc).removeprefix('--set ')}") from None
        return apply_overrides(system, self.cli_set)

    @property
    def grid_label(self) -> str:
        return f"{self.source}: grid" if self.grid_from_file else "--grid"


def _system_ref(ref: str | None, file_path: Path | None) -> str | None:
    """A system path in a plan file is read from the file's folder when it is there."""
    if ref is None or file_path is None:
        return ref
    beside = file_path.parent / ref
    return (
        str(beside) if ("/" in ref or ref.endswith((".yaml", ".yml"))) and beside.is_file() else ref
    )


def check_dimensions(system: SystemConfig, dims: Sequence[LabelledDimension]) -> None:
    """Every dimension's lowest and highest value make a valid system, or a one-line error
    naming where the dimension was given (before any trial runs)."""
    problems: list[Problem] = []
    for ld in dims:
        d = ld.dimension
        source, _, field = ld.label.partition(": ")
        # a range's ends bound every value between; each choice is its own
        ends = [d.values[0], d.values[-1]] if d.monotone and len(d.values) > 1 else d.values
        for v in ends:
            try:
                apply_overrides(system, d.overrides(v))
            except ValidationFailed as exc:
                for p in exc.problems:
                    where = f"{p.path}={_text(v)}: " if p.path else ""
                    problems.append(Problem(source, field, f"{where}{p.message}"))
                break
            except InputError as exc:
                problems.append(Problem(source, field, str(exc).removeprefix("--set ")))
                break
    if problems:
        raise ValidationFailed(problems)


def _text(value: JsonValue) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def pick_grid(
    dims: Sequence[Dimension], names: tuple[str, str], label: str = "--grid"
) -> tuple[int, int]:
    """The indices of the two dimensions ``names`` point at: a dimension's path, the part of
    it after the last dot, or any unique part of one of its paths."""

    def find(name: str) -> int:
        for exact in (
            lambda p: p == name,
            lambda p: p.rsplit(".", 1)[-1] == name,
            lambda p: name in p,
        ):
            hits = [i for i, d in enumerate(dims) if any(exact(p) for p in d.paths)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise InputError(
                    f"{label}: {name!r} names {len(hits)} dimensions "
                    f"({', '.join(dims[i].name for i in hits)}); give more of the path"
                )
        known = ", ".join(d.name for d in dims) or "none"
        raise InputError(f"{label}: {name!r} is not one of the plan's dimensions ({known})")

    a, b = find(names[0]), find(names[1])
    if a == b:
        raise InputError(f"{label}: {names[0]!r} and {names[1]!r} are the same dimension")
    return a, b
