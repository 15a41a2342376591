"""Terraform -> system file: the capacity settings Terraform already states, nothing guessed.

Reads HCL (a directory of ``*.tf`` files, parsed with python-hcl2) or the JSON of
``terraform show -json`` (a saved plan or the state). What it maps:

- ``aws_lambda_function`` memory_size, timeout, reserved_concurrent_executions -> lambda
- ``aws_lambda_provisioned_concurrency_config`` -> lambda.provisioned_concurrency
- ``aws_servicequotas_service_quota`` (lambda, L-B99A9384) -> lambda.account_concurrency
- ``aws_lambda_function_url``; ``aws_api_gateway_stage`` / ``aws_apigatewayv2_stage`` with
  method settings or usage plans (throttles) -> front_door
- ``aws_dynamodb_table`` billing_mode, capacity, GSIs, warm_throughput -> dynamodb
- ``aws_appautoscaling_target`` / ``_policy`` min, max, target_value -> auto_scaling
- ``aws_sqs_queue``, ``aws_lambda_event_source_mapping`` batch_size -> sqs

A value Terraform computes at apply time (an ARN, a version) or an expression this reader does
not evaluate (a function call, a module output) is reported in ``notes`` and left out, so the
system model's documented default applies. Attributes left out of the HCL take the AWS
provider's documented defaults (memory_size 128, timeout 3, batch_size 10), noted as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import parse_json

__all__ = ["TerraformImport", "TfResource", "Unknown", "load_resources"]

LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"  # Service Quotas: Lambda "Concurrent executions"
_REF = re.compile(r"^\$\{(?P<expr>[^{}]*)\}$")
_INTERP = re.compile(r"\$\{(?P<expr>[^{}]*)\}")
_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+$")


@dataclass(frozen=True)
class Unknown:
    """A value not known before apply, or an expression this reader does not evaluate."""

    expr: str


@dataclass
class TfResource:
    type: str
    name: str
    attrs: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


@dataclass
class TerraformImport:
    system: dict[str, Any]
    notes: list[str] = field(default_factory=list)


# -- HCL ------------------------------------------------------------------------------------
def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _clean(value: Any) -> Any:
    """python-hcl2's tree -> plain values: literals unquoted, expressions kept as ``${...}``."""
    if isinstance(value, dict):
        return {_unquote(k): _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _hcl_files(path: Path) -> list[Path]:
    files = sorted(path.glob("*.tf")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no *.tf files")
    return files


def _load_hcl(path: Path) -> tuple[list[TfResource], dict[str, Any], dict[str, Any], list[Any]]:
    import hcl2

    resources: list[TfResource] = []
    variables: dict[str, Any] = {}
    local_values: dict[str, Any] = {}
    providers: list[Any] = []
    for f in _hcl_files(path):
        try:
            with f.open(encoding="utf-8") as fh:
                tree = _clean(hcl2.load(fh))
        except Exception as exc:  # lark raises many kinds; one line naming the file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{f}: not valid HCL: {first}") from None
        for block in tree.get("resource", []):
            for rtype, named in block.items():
                for name, attrs in named.items():
                    resources.append(TfResource(rtype, name, attrs))
        for block in tree.get("variable", []):
            for name, body in block.items():
                if "default" in body:
                    variables[name] = body["default"]
        for block in tree.get("locals", []):
            local_values.update(block)
        providers += [b["aws"] for b in tree.get("provider", []) if "aws" in b]
    return resources, variables, local_values, providers


class _Resolver:
    """Evaluates literals and plain references (var., local., TYPE.NAME.ATTR); the rest is
    Unknown."""

    def __init__(
        self, resources: list[TfResource], variables: dict[str, Any], local_values: dict[str, Any]
    ) -> None:
        self.by_address = {r.address: r for r in resources}
        self.variables = variables
        self.local_values = local_values

    def value(self, raw: Any, depth: int = 0) -> Any:
        if depth > 10:
            return Unknown(str(raw))
        if isinstance(raw, dict):
            return {k: self.value(v, depth) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.value(v, depth) for v in raw]
        if not isinstance(raw, str):
            return raw
        ref = _REF.match(raw)
        if ref is not None:
            return self._expr(ref.group("expr").strip(), depth)
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            text = raw[1:-1]
            parts: list[str] = []
            pos = 0
            for m in _INTERP.finditer(text):
                parts.append(text[pos : m.start()])
                got = self._expr(m.group("expr").strip(), depth)
                if isinstance(got, Unknown | dict | list):
                    return Unknown(raw[1:-1])
                parts.append(str(got))
                pos = m.end()
            parts.append(text[pos:])
            return "".join(parts)
        if raw in ("true", "false"):
            return raw == "true"
        return Unknown(raw)

    def _expr(self, expr: str, depth: int) -> Any:
        if not _PATH.match(expr):
            return Unknown(expr)  # a function call, an operator, an index: not evaluated
        head, *rest = expr.split(".")
        if head == "var" and len(rest) == 1 and rest[0] in self.variables:
            return self.value(self.variables[rest[0]], depth + 1)
        if head == "local" and len(rest) == 1 and rest[0] in self.local_values:
            return self.value(self.local_values[rest[0]], depth + 1)
        if len(rest) == 2:
            res = self.by_address.get(f"{head}.{rest[0]}")
            if res is not None and rest[1] in res.attrs:
                return self.value(res.attrs[rest[1]], depth + 1)
            return Unknown(expr)  # computed by the provider (arn, version, url...)
        return Unknown(expr)


def _resolved(path: Path) -> tuple[list[TfResource], str | Unknown | None]:
    raw, variables, local_values, providers = _load_hcl(path)
    resolver = _Resolver(raw, variables, local_values)
    resources = [TfResource(r.type, r.name, resolver.value(r.attrs)) for r in raw]
    region: str | Unknown | None = None
    for p in providers:
        if "alias" not in p and "region" in p:
            region = resolver.value(p["region"])
    return resources, region


# -- terraform show -json -------------------------------------------------------------------
def _module_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _module_resources(child)


def _mark_unknown(values: Any, unknown: Any) -> Any:
    if unknown is True:
        return Unknown("(known after apply)")
    if isinstance(unknown, dict) and isinstance(values, dict):
        out = dict(values)
        for k, u in unknown.items():
            out[k] = _mark_unknown(values.get(k), u)
        return out
    if isinstance(unknown, list) and isinstance(values, list):
        return [
            _mark_unknown(v, unknown[i] if i < len(unknown) else False)
            for i, v in enumerate(values)
        ]
    return values


def _load_plan_json(path: Path) -> tuple[list[TfResource], str | Unknown | None]:
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not JSON from `terraform show -json`: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not JSON from `terraform show -json`")
    try:
        return _plan_resources(data, path)
    except (AttributeError, KeyError, TypeError, RecursionError):  # e.g. {"values": 5}
        raise InputError(
            f"{path}: JSON, but not shaped like `terraform show -json` output "
            "(planned_values.root_module.resources: a list of resources)"
        ) from None


def _plan_resources(
    data: dict[str, Any], path: Path
) -> tuple[list[TfResource], str | Unknown | None]:
    root = (data.get("planned_values") or data.get("values") or {}).get("root_module")
    if root is None:
        raise InputError(f"{path}: no planned_values or values (is it `terraform show -json`?)")
    unknown = {
        rc.get("address"): (rc.get("change") or {}).get("after_unknown") or {}
        for rc in data.get("resource_changes", [])
    }
    resources = []
    for r in _module_resources(root):
        if r.get("mode", "managed") != "managed":
            continue
        values = _mark_unknown(r.get("values") or {}, unknown.get(r.get("address"), {}))
        resources.append(TfResource(r["type"], r["name"], values))
    region: str | Unknown | None = None
    cfg = (data.get("configuration") or {}).get("provider_config", {}).get("aws", {})
    expr = (cfg.get("expressions") or {}).get("region") or {}
    if "constant_value" in expr:
        region = str(expr["constant_value"])
    elif "references" in expr:
        var = next((v[4:] for v in expr["references"] if v.startswith("var.")), None)
        value = (data.get("variables") or {}).get(var or "", {}).get("value")
        region = str(value) if value is not None else Unknown(", ".join(expr["references"]))
    return resources, region


def load_resources(path: Path) -> tuple[list[TfResource], str | Unknown | None]:
    """Resources (values resolved where Terraform states them) and the provider's region."""
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_file() and path.suffix == ".json":
        return _load_plan_json(path)
    return _resolved(path)
