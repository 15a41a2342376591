"""The layout keeps its rules: no import cycles, each figure and metric name defined once, no
silenced type errors in the report package.

The import graph is grimp's (static: imports inside functions and under TYPE_CHECKING count,
so a cycle hidden behind a lazy import is still a cycle).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import grimp
import networkx as nx
import pytest

from scaling_lab.aws.metrics import FIGURES, Figure

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scaling_lab", "emulator")
#: The one module that lists the figures and their CloudWatch metrics.
METRICS_MODULE = ROOT / "scaling_lab" / "aws" / "metrics.py"


@cache
def _graph() -> nx.DiGraph:
    g = grimp.build_graph(*PACKAGES)
    out = nx.DiGraph()
    for module in g.modules:
        out.add_node(module)
        for imported in g.find_modules_directly_imported_by(module):
            out.add_edge(module, imported)
    return out


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def _children_graph(graph: nx.DiGraph, package: str) -> nx.DiGraph:
    """The package's direct children (modules and subpackages, each squashed to one node)
    with an edge where any module of one imports any module of another."""

    def child(module: str) -> str | None:
        if not module.startswith(package + "."):
            return None
        return package + "." + module[len(package) + 1 :].split(".")[0]

    out = nx.DiGraph()
    for a, b in graph.edges:
        ca, cb = child(a), child(b)
        if ca and cb and ca != cb:
            out.add_edge(ca, cb)
    return out


def test_no_import_cycle_between_modules() -> None:
    assert _cycles(_graph()) == []


def _packages() -> list[str]:
    modules = set(_graph().nodes)
    return sorted(m for m in modules if any(x.startswith(m + ".") for x in modules))


@pytest.mark.parametrize("package", _packages())
def test_no_import_cycle_between_sibling_packages(package: str) -> None:
    """e.g. scenario and system, or cost and report, must not import each other."""
    assert _cycles(_children_graph(_graph(), package)) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    g = nx.DiGraph([("p.a.x", "p.b.y"), ("p.b.z", "p.a.w")])
    assert _cycles(_children_graph(g, "p")) == [["p.a", "p.b"]]


# -- one name for each figure and metric ---------------------------------------------------------

FIGURE_NAMES = {f.value for f in Figure}
METRIC_NAMES = {d.cloudwatch.name for d in FIGURES.values() if d.cloudwatch is not None}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if p != METRICS_MODULE)


def _listings(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Collection literals (list, tuple, set, dict keys) holding three or more figure names."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            elts: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            elts = list(node.keys)
        else:
            continue
        names = [
            e.value
            for e in elts
            if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value in FIGURE_NAMES
        ]
        if len(names) >= 3:
            found.append((node.lineno, names))
    return found


def _metric_literals(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in METRIC_NAMES
    ]


def test_figure_names_are_listed_only_in_the_metrics_module() -> None:
    second_lists = [
        f"{path.relative_to(ROOT)}:{line}: {names}"
        for path in _sources()
        for line, names in _listings(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not second_lists, "list figures via scaling_lab.aws.metrics:\n" + "\n".join(second_lists)


def test_cloudwatch_metric_names_appear_only_in_the_metrics_module() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in _sources()
        for line, name in _metric_literals(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "take CloudWatch metric names from scaling_lab.aws.metrics:\n" + "\n".join(
        found
    )


def test_the_name_checks_see_a_second_list() -> None:
    src = 'X = ("lambda_concurrency", "sqs_depth", "cold_starts")\nM = "ConcurrentExecutions"\n'
    tree = ast.parse(src)
    assert _listings(tree) == [(1, ["lambda_concurrency", "sqs_depth", "cold_starts"])]
    assert _metric_literals(tree) == [(2, "ConcurrentExecutions")]


def test_every_result_figure_is_defined() -> None:
    from scaling_lab.result.models import SecondSample

    result_fields = set(SecondSample.model_fields)
    in_result = {f.value for f, d in FIGURES.items() if d.in_result}
    assert in_result <= result_fields
    # every per-second figure field of a result is one of the defined figures
    own = {"t_s", "offered", "completed", "errors", "latency_ms", "endpoints"}
    assert result_fields - own == in_result


def test_no_type_ignore_in_report() -> None:
    hits = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "scaling_lab" / "report").rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line
    ]
    assert hits == []


# -- typed seams: no Any crosses a package boundary of scaling_lab -------------------------------


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cross_package_imports() -> set[tuple[str, str, str]]:
    """(module, name, importing package) for every ``from scaling_lab.x... import name`` in a
    module of another scaling_lab package."""
    found = set()
    for path in (ROOT / "scaling_lab").rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scaling_lab."):
                assert node.module is not None
                if _package(node.module) != _package(module):
                    found |= {(node.module, a.name, _package(module)) for a in node.names}
    return found


def _any_in_signature(fn: object) -> bool:
    import inspect

    try:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    annotations = [str(p.annotation) for p in sig.parameters.values()]
    return any("Any" in a for a in [*annotations, str(sig.return_annotation)])


def _signatures(obj: object) -> list[tuple[str, object]]:
    import inspect

    if inspect.isfunction(obj):
        return [("", obj)]
    if inspect.isclass(obj) and obj.__module__.startswith("scaling_lab"):
        out: list[tuple[str, object]] = []
        for key, value in vars(obj).items():
            if key.startswith("_") and key != "__init__":
                continue
            if getattr(value, "__module__", "scaling_lab").split(".")[0] != "scaling_lab":
                continue  # put there by a library (pydantic's model_post_init), not ours
            if inspect.isfunction(value):
                out.append((f".{key}", value))
            elif isinstance(value, property) and value.fget is not None:
                out.append((f".{key}", value.fget))
        return out
    return []


def test_no_any_crosses_a_package_boundary() -> None:
    import importlib

    leaks = []
    for module, name, user in sorted(_cross_package_imports()):
        obj = getattr(importlib.import_module(module), name, None)
        for suffix, fn in _signatures(obj):
            if _any_in_signature(fn):
                leaks.append(f"{module}.{name}{suffix} (imported by {user})")
    assert leaks == []


def test_the_any_check_sees_any() -> None:
    from typing import Any

    def leaky(x: Any) -> int:
        return 0

    def typed(x: int) -> int:
        return x

    assert _any_in_signature(leaky) and not _any_in_signature(typed)


# -- layers: dependencies flow one way (docs/architecture.md) ------------------------------------

#: scaling_lab's packages from the top; a package imports only those in later layers.
LAYERS: list[set[str]] = [
    {"cli"},
    {"verify", "plan", "chaos"},
    {"load", "report", "alarms", "filecheck", "inputs", "importers"},
    {"model", "compare", "cost", "store", "observe"},
    {"provenance"},
    {"result"},
    {"aws"},
    {"system"},
    {"scenario"},
    {"errors", "jsontypes", "formatting", "junit"},
]


def _layer_of(package: str) -> int | None:
    name = package.removeprefix("scaling_lab.")
    return next((i for i, layer in enumerate(LAYERS) if name in layer), None)


def _upward_imports(graph: nx.DiGraph) -> list[str]:
    bad = []
    for a, b in graph.edges:
        pa, pb = _package(a), _package(b)
        la, lb = _layer_of(pa), _layer_of(pb)
        if pa != pb and la is not None and lb is not None and la >= lb:
            bad.append(f"{a} -> {b}")
    return sorted(bad)


def test_every_package_has_a_layer() -> None:
    packages = {_package(m) for m in _graph().nodes if m.startswith("scaling_lab.")}
    assert sorted(p for p in packages if _layer_of(p) is None) == []


def test_dependencies_flow_down_the_layers() -> None:
    assert _upward_imports(_graph()) == []


def test_the_layer_check_sees_an_upward_import() -> None:
    g = nx.DiGraph([("scaling_lab.result.x", "scaling_lab.model.y")])
    assert _upward_imports(g) == ["scaling_lab.result.x -> scaling_lab.model.y"]
