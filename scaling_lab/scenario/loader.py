"""Load scenario files, and the YAML of system files, into typed models, collecting every
problem (``scaling_lab.system.loader`` loads system files with the same machinery).

YAML is read once, by a safe loader that refuses what would otherwise be silently wrong or
unbounded: a key given twice in one mapping (YAML 1.2 requires keys to be unique; PyYAML keeps
the last), nesting deeper than :data:`~scaling_lab.scenario.limits.MAX_YAML_DEPTH`, more than
:data:`~scaling_lab.scenario.limits.MAX_YAML_NODES` nodes once aliases are expanded, and files
over :data:`~scaling_lab.scenario.limits.MAX_FILE_BYTES`.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from scaling_lab.errors import InputError, Problem, ValidationFailed
from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.scenario.limits import (
    MAX_FILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    number_problems,
)
from scaling_lab.scenario.models import Scenario

__all__ = [
    "find_scenario",
    "list_scenario_files",
    "load_scenario",
    "model_from_data",
    "parse_yaml_value",
    "read_yaml",
    "resolve_file",
    "scenarios_dir",
]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(yaml.MarkedYAMLError):
    """A document the bounded loader will not build."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with unique keys and a depth bound (see the module docstring)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Refused(f"nested deeper than {MAX_YAML_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue  # "<<: *base" merges; explicit keys may override merged ones
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # unhashable key: SafeConstructor reports it
                if first is not None:
                    raise _Refused(
                        f"duplicate key {key!r} (first given at line {first + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


_WALKING = (-1, -1)  # in the memo while a node's children are walked


def _expanded_size(node: Any, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(nodes, depth) of ``node`` with every alias expanded; linear in the composed graph.
    The walk is in document order, so an alias's node is already in ``memo``, unless the
    alias is inside the node it refers to (``a: &a [*a]``: no finite expansion), which is
    :class:`_Refused`."""
    known = memo.get(id(node))
    if known == _WALKING:
        raise _Refused("recursive alias: the node anchored here contains itself", node.start_mark)
    if known is not None:
        return known
    children: list[Any] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    memo[id(node)] = _WALKING
    size, depth = 1, 1
    for child in children:
        child_size, child_depth = _expanded_size(child, memo)
        size += child_size
        depth = max(depth, child_depth + 1)
    memo[id(node)] = (size, depth)
    return size, depth


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


def resolve_file(
    ref: str | Path, folder: Path | list[Path], kind: str, base: Path | None = None
) -> Path:
    """A name in ``folder`` (the first of several that has it), or a file path; a relative
    path is looked up in ``base`` (the folder of the file that names it) first, then in the
    working directory."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists() or os.sep in str(ref):
        tried = [path]
        if base is not None and not path.is_absolute():
            tried.insert(0, base / path)
        for candidate in tried:
            if candidate.is_file():
                return candidate
        folder_given = next((t for t in tried if t.is_dir()), None)
        if folder_given is not None:
            raise InputError(f"{kind} file {folder_given} is a folder; expected a file")
        raise InputError(f"{kind} file not found: {' or '.join(str(t) for t in tried)}")
    folders = folder if isinstance(folder, list) else [folder]
    for f in folders:
        candidate = f / f"{ref}.yaml"
        if candidate.is_file():
            return candidate
    known = sorted({p.stem for f in folders for p in f.glob("*.yaml")})
    raise InputError(
        f"unknown {kind} {str(ref)!r}; expected a file path or one of: {', '.join(known)}"
    )


def find_scenario(ref: str | Path) -> Path:
    return resolve_file(ref, scenarios_dir(), "scenario")


def _problem(path: Path | str, message: str) -> ValidationFailed:
    return ValidationFailed([Problem(str(path), "", message)])


def _parse_yaml(text: str, source: str) -> Any:
    """The YAML document in ``text``, built by the bounded loader (unique keys, bounded depth
    and alias expansion, no control characters); :class:`ValidationFailed` naming ``source``
    (and the line) otherwise."""
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)  # its reader refuses NUL and other control characters
        node = loader.get_single_node()
        if node is not None:
            size, depth = _expanded_size(node, {})
            if size > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
                raise _problem(
                    source,
                    f"expands (through aliases) to {size:,} nodes {depth} levels deep; "
                    f"at most {MAX_YAML_NODES:,} nodes and {MAX_YAML_DEPTH} levels",
                )
        data = None if node is None else loader.construct_document(node)
    except yaml.reader.ReaderError as exc:  # no mark: a character position
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        problem = f"character #x{exc.character:04x} is not allowed ({exc.reason})"
        raise _problem(source, f"invalid YAML at line {line}, column {column}: {problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _problem(source, f"invalid YAML{where}: {problem}") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4,300 digits
        detail = str(exc).splitlines()[0].split(";")[0]
        raise _problem(source, f"invalid YAML value: {detail}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data


def parse_yaml_value(text: str, source: str) -> JsonValue:
    """A value given on the command line (``--set``, ``--choice``), read as a file's YAML is:
    one line naming ``source`` when it is not valid YAML."""
    value: JsonValue = _parse_yaml(text, source)
    return value


def read_yaml(path: Path) -> JsonObject:
    """The top-level mapping of a YAML file, read once; :class:`ValidationFailed` naming the
    file (and line) for anything else."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _problem(path, f"file is larger than {MAX_FILE_BYTES:,} bytes; not a scenario")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(path, f"not UTF-8 text (byte {exc.start})") from None
    data = _parse_yaml(text, str(path))
    if data is None:
        raise _problem(path, "file is empty; expected a mapping")
    if not isinstance(data, dict):
        raise _problem(path, f"expected a mapping at the top, got {type(data).__name__}")
    return data


_UNION_MEMBER = re.compile(r"[a-z][a-z0-9_-]*\[.*\]")  # str-enum[Endpoint], literal['all']


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("constant", "exponential", "lognormal", "empirical") or part.startswith(
            "function-"
        ):
            continue  # discriminator tags and validator wrappers, not user-visible fields
        elif _UNION_MEMBER.fullmatch(part):
            continue  # which member of a union pydantic tried: the same field
        else:
            out += f".{part}" if out else str(part)
    return out


def _non_finite(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return not math.isfinite(float(value))
    except (ValueError, OverflowError):
        return False


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
        elif _non_finite(e.get("input")):
            msg = f"must be a finite number (got {e['input']!r})"
        elif (
            e["type"] not in ("value_error",)
            and "input" in e
            and not isinstance(e["input"], dict | list)
        ):
            msg = f"{msg} (got {e['input']!r})"
        problems.append(Problem(source, _loc(e["loc"]), msg))
    return _merge_union_members(problems, error.errors())


def _union_member(loc: tuple[int | str, ...]) -> bool:
    return any(isinstance(part, str) and _UNION_MEMBER.fullmatch(part) for part in loc)


def _merge_union_members(problems: list[Problem], errors: list[Any]) -> list[Problem]:
    """One problem per field: a value no member of a union takes (``Endpoint | 'all'``) gave
    one error per member; they become one line listing every value expected."""
    by_path: dict[str, list[int]] = {}
    for i, p in enumerate(problems):
        by_path.setdefault(p.path, []).append(i)
    merged: list[Problem] = []
    for i, p in enumerate(problems):
        same = by_path[p.path]
        if len(same) == 1 or not all(_union_member(errors[j]["loc"]) for j in same):
            merged.append(p)
        elif i == same[0]:  # the others are folded into the first
            expected = [str((errors[j].get("ctx") or {}).get("expected", "")) for j in same]
            got = f" (got {errors[i]['input']!r})" if "input" in errors[i] else ""
            if all(expected):
                message = f"Input should be {' or '.join(expected)}{got}"
            else:
                message = " or ".join(problems[j].message.removesuffix(got) for j in same) + got
            merged.append(Problem(p.source, p.path, message))
    return merged


#: What each kind of file is called, and the top-level keys only that kind has.
_FILE_KINDS = {
    "Scenario": ("scenario", {"traffic"}, "give it as the scenario"),
    "SystemConfig": (
        "system file",
        {"lambda", "dynamodb", "front_door", "sqs", "sdk"},
        "give it with --system",
    ),
    "Experiment": (
        "chaos experiment",
        {"steady_state_hypothesis", "method"},
        "run it with `chaos run`, check it with `chaos validate`",
    ),
}


def _other_kind(data: JsonObject, model: type[BaseModel]) -> str | None:
    """When ``data`` is plainly another kind of file than ``model`` reads (a system file given
    as a scenario), one line saying so, instead of an "unknown key" for each of its keys."""
    expected = _FILE_KINDS.get(model.__name__)
    if expected is None or expected[1] & set(data):
        return None
    for name, (label, keys, hint) in _FILE_KINDS.items():
        if name != model.__name__ and keys & set(data):
            return f"this is a {label}, not a {expected[0]} ({hint})"
    return None


def model_from_data(data: JsonObject, source: str, model: type[M]) -> M:
    """Validate parsed data; every problem (fields, then numbers out of bounds) names the
    file and the field path."""
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        other = _other_kind(data, model)
        if other is not None:
            raise ValidationFailed([Problem(source, "", other)]) from None
        raise ValidationFailed(problems_from(exc, source)) from None
    except RecursionError:
        raise ValidationFailed([Problem(source, "", "nested too deeply")]) from None
    numbers = number_problems(value)
    if numbers:
        raise ValidationFailed([Problem(source, field, msg) for field, msg in numbers])
    return value


def load_model(path: Path, model: type[M]) -> M:
    return model_from_data(read_yaml(path), str(path), model)


def load_scenario(ref: str | Path) -> Scenario:
    """Load a scenario by name (``spike``) or path."""
    return load_model(find_scenario(ref), Scenario)
