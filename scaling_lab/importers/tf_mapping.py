"""Map Terraform AWS resources (values resolved) onto the system file's fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scaling_lab.errors import InputError
from scaling_lab.importers.terraform import (
    LAMBDA_CONCURRENCY_QUOTA,
    TerraformImport,
    TfResource,
    Unknown,
    load_resources,
)

__all__ = ["build_system", "import_terraform"]

# AWS provider defaults for attributes left out of the configuration
# (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_function,
# .../lambda_event_source_mapping, .../dynamodb_table).
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3
DEFAULT_BATCH_SIZE = 10
_PROJECTIONS = {"ALL": "all", "KEYS_ONLY": "keys_only", "INCLUDE": "include"}


class _Reader:
    def __init__(self, resources: list[TfResource]) -> None:
        self.resources = resources
        self.notes: list[str] = []

    def of(self, rtype: str) -> list[TfResource]:
        return [r for r in self.resources if r.type == rtype]

    def get(self, r: TfResource | dict[str, Any], attr: str, where: str, field: str) -> Any:
        """The value, None when absent; Unknown values are noted and returned as None."""
        attrs = r.attrs if isinstance(r, TfResource) else r
        value = attrs.get(attr)
        if isinstance(value, Unknown):
            address = r.address if isinstance(r, TfResource) else where
            self.notes.append(
                f"{address}.{attr} = {value.expr}: not known before apply; {field} left out"
            )
            return None
        return value


def _block(value: Any) -> dict[str, Any]:
    """A nested block: python-hcl2 gives a list of one dict, terraform show -json too."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def _seconds(value: int | float) -> str:
    return f"{value:g}s"


def _pick_function(rd: _Reader, function: str | None) -> TfResource:
    fns = rd.of("aws_lambda_function")
    if not fns:
        raise InputError("terraform: no aws_lambda_function found")
    names = {r.address: r.attrs.get("function_name") for r in fns}
    if function is not None:
        for r in fns:
            if function in (r.name, names[r.address]):
                return r
        raise InputError(f"terraform: --function {function!r}: functions are {sorted(names)}")
    fronted = {
        str(u.attrs.get("function_name"))
        for u in rd.of("aws_lambda_function_url") + rd.of("aws_lambda_permission")
        if not isinstance(u.attrs.get("function_name"), Unknown)
    }
    candidates = [r for r in fns if names[r.address] in fronted] or fns
    if len(candidates) > 1:
        raise InputError(
            "terraform: several Lambda functions and none has a function URL; pick the API's "
            f"with --function (one of {sorted(str(n) for n in names.values())})"
        )
    return candidates[0]


def _lambda(rd: _Reader, fn: TfResource) -> tuple[dict[str, Any], str]:
    out: dict[str, Any] = {}
    fname = rd.get(fn, "function_name", "", "lambda") or fn.name
    mem = rd.get(fn, "memory_size", "", "lambda.memory_mb")
    if mem is None and "memory_size" not in fn.attrs:
        mem = DEFAULT_MEMORY_MB
        rd.notes.append(f"{fn.address}: no memory_size; the provider default {mem} MB applies")
    if mem is not None:
        out["memory_mb"] = int(mem)
    timeout = rd.get(fn, "timeout", "", "lambda.timeout_s")
    if timeout is None and "timeout" not in fn.attrs:
        timeout = DEFAULT_TIMEOUT_S
        rd.notes.append(f"{fn.address}: no timeout; the provider default {timeout} s applies")
    if timeout is not None:
        out["timeout_s"] = _seconds(timeout)
    reserved = rd.get(fn, "reserved_concurrent_executions", "", "lambda.reserved_concurrency")
    if reserved is not None and int(reserved) >= 0:
        out["reserved_concurrency"] = int(reserved)
    provisioned = 0
    for pc in rd.of("aws_lambda_provisioned_concurrency_config"):
        if pc.attrs.get("function_name") in (fname, fn.attrs.get("arn")):
            n = rd.get(pc, "provisioned_concurrent_executions", "", "provisioned_concurrency")
            provisioned += int(n or 0)
    if provisioned:
        out["provisioned_concurrency"] = provisioned
    for q in rd.of("aws_servicequotas_service_quota"):
        if q.attrs.get("service_code") == "lambda" and (
            q.attrs.get("quota_code") == LAMBDA_CONCURRENCY_QUOTA
        ):
            value = rd.get(q, "value", "", "lambda.account_concurrency")
            if value is not None:
                out["account_concurrency"] = int(value)
    if "account_concurrency" not in out:
        rd.notes.append(
            "no aws_servicequotas_service_quota for Lambda concurrent executions "
            f"({LAMBDA_CONCURRENCY_QUOTA}); the account default applies"
        )
    return out, str(fname)


def _front_door(rd: _Reader, fname: str) -> dict[str, Any]:
    stages = rd.of("aws_api_gateway_stage") + rd.of("aws_apigatewayv2_stage")
    urls = [u for u in rd.of("aws_lambda_function_url") if u.attrs.get("function_name") == fname]
    if not stages:
        if not urls:
            rd.notes.append("no function URL and no API Gateway stage: front_door left out")
            return {}
        return {"kind": "function_url"}
    if urls:
        rd.notes.append("both a function URL and an API Gateway stage: API Gateway assumed")
    door: dict[str, Any] = {"kind": "api_gateway"}
    rate = burst = None
    for st in rd.of("aws_apigatewayv2_stage"):
        s = _block(st.attrs.get("default_route_settings"))
        rate = rate or rd.get(s, "throttling_rate_limit", st.address, "front_door.rate_per_s")
        burst = burst or rd.get(s, "throttling_burst_limit", st.address, "front_door.burst")
    for ms in rd.of("aws_api_gateway_method_settings"):
        s = _block(ms.attrs.get("settings"))
        rate = rate or rd.get(s, "throttling_rate_limit", ms.address, "front_door.rate_per_s")
        burst = burst or rd.get(s, "throttling_burst_limit", ms.address, "front_door.burst")
    for up in rd.of("aws_api_gateway_usage_plan"):
        s = _block(up.attrs.get("throttle_settings"))
        rate = rate or rd.get(s, "rate_limit", up.address, "front_door.rate_per_s")
        burst = burst or rd.get(s, "burst_limit", up.address, "front_door.burst")
    if rate:
        door["rate_per_s"] = float(rate)
    if burst:
        door["burst"] = int(burst)
    if not rate and not burst:
        rd.notes.append("API Gateway without throttle settings: the account limits apply")
    return door


def _pick_table(rd: _Reader) -> TfResource | None:
    tables = rd.of("aws_dynamodb_table")
    if not tables:
        rd.notes.append("no aws_dynamodb_table: dynamodb left out")
        return None
    scaled = {
        str(t.attrs.get("resource_id", "")).split("/")[1]
        for t in rd.of("aws_appautoscaling_target")
        if str(t.attrs.get("resource_id", "")).startswith("table/")
    }
    pick = [t for t in tables if t.attrs.get("name") in scaled] or tables
    if len(pick) > 1:
        rd.notes.append(f"several tables; using {pick[0].address}")
    return pick[0]


def _auto_scaling(rd: _Reader, table: str, dimension: str) -> dict[str, Any] | None:
    rid = f"table/{table}"
    dim = f"dynamodb:table:{dimension}CapacityUnits"
    for t in rd.of("aws_appautoscaling_target"):
        if t.attrs.get("resource_id") != rid or t.attrs.get("scalable_dimension") != dim:
            continue
        out: dict[str, Any] = {}
        for attr, key in (("min_capacity", "min"), ("max_capacity", "max")):
            v = rd.get(t, attr, "", f"auto_scaling.{key}")
            if v is not None:
                out[key] = float(v)
        for p in rd.of("aws_appautoscaling_policy"):
            if p.attrs.get("resource_id") != rid or p.attrs.get("scalable_dimension") != dim:
                continue
            cfg = _block(p.attrs.get("target_tracking_scaling_policy_configuration"))
            target = rd.get(cfg, "target_value", p.address, "auto_scaling.target_utilization_pct")
            if target is not None:
                out["target_utilization_pct"] = float(target)
        if "target_utilization_pct" not in out:
            rd.notes.append(f"{t.address}: no target-tracking policy; the 70 % default applies")
        return out
    return None


def _dynamodb(rd: _Reader, table: TfResource) -> dict[str, Any]:
    name = rd.get(table, "name", "", "dynamodb.table")
    mode = rd.get(table, "billing_mode", "", "dynamodb.mode") or "PROVISIONED"
    out: dict[str, Any] = {"mode": "on_demand" if mode == "PAY_PER_REQUEST" else "provisioned"}
    if name is not None:
        out["table"] = name
    if out["mode"] == "provisioned":
        for side, attr in (("write", "write_capacity"), ("read", "read_capacity")):
            units = rd.get(table, attr, "", f"dynamodb.{side}.provisioned")
            if units is None:
                continue
            settings: dict[str, Any] = {"provisioned": float(units)}
            scaling = _auto_scaling(rd, str(name), side.capitalize()) if name else None
            if scaling is not None:
                settings["auto_scaling"] = scaling
            out[side] = settings
    warm = _block(table.attrs.get("warm_throughput"))
    for attr, key in (
        ("write_units_per_second", "on_demand_warm_wcu"),
        ("read_units_per_second", "on_demand_warm_rcu"),
    ):
        v = rd.get(warm, attr, table.address, f"dynamodb.{key}")
        if v is not None:
            out[key] = float(v)
    gsis = []
    for g in _blocks(table.attrs.get("global_secondary_index")):
        gname = rd.get(g, "name", table.address, "dynamodb.gsis.name")
        if gname is None:
            continue
        projection = _PROJECTIONS.get(str(g.get("projection_type", "ALL")), "all")
        gsis.append({"name": gname, "projection": projection})
        rd.notes.append(
            f"{table.address}: GSI {gname}: how its partition key spreads tenants is not in "
            "Terraform; taken as one key value per tenant (set dynamodb.gsis[].key)"
        )
        if g.get("write_capacity") is not None or g.get("read_capacity") is not None:
            rd.notes.append(
                f"{table.address}: GSI {gname} capacity has no field in the system file (left out)"
            )
    out["gsis"] = gsis
    return out


def _sqs(rd: _Reader) -> dict[str, Any]:
    queues = rd.of("aws_sqs_queue")
    if not queues:
        return {}
    q = queues[0]
    out: dict[str, Any] = {}
    qname = rd.get(q, "name", "", "sqs.queue")
    if qname is not None:
        out["queue"] = qname
    if len(queues) > 1:
        rd.notes.append(f"several SQS queues; using {q.address}")
    for m in rd.of("aws_lambda_event_source_mapping"):
        batch = rd.get(m, "batch_size", "", "sqs.consumer.batch_size")
        if batch is None and "batch_size" not in m.attrs:
            batch = DEFAULT_BATCH_SIZE
        if batch is not None:
            out["consumer"] = {"batch_size": int(batch)}
        break
    return out


def build_system(
    resources: list[TfResource],
    region: str | Unknown | None,
    *,
    name: str,
    function: str | None,
    source: str,
) -> TerraformImport:
    rd = _Reader(resources)
    fn = _pick_function(rd, function)
    lam, fname = _lambda(rd, fn)
    system: dict[str, Any] = {"name": name, "description": f"imported from Terraform ({source})"}
    if isinstance(region, Unknown):
        rd.notes.append(f"provider region = {region.expr}: not known; region left out")
    elif region:
        system["region"] = region
    door = _front_door(rd, fname)
    if door:
        system["front_door"] = door
    system["lambda"] = lam
    table = _pick_table(rd)
    if table is not None:
        system["dynamodb"] = _dynamodb(rd, table)
    sqs = _sqs(rd)
    if sqs:
        system["sqs"] = sqs
    return TerraformImport(system=system, notes=rd.notes)


def import_terraform(path: Path, *, name: str, function: str | None = None) -> TerraformImport:
    """The system file (as a dict) Terraform at ``path`` describes, with notes on what was
    unknown or left to defaults."""
    resources, region = load_resources(path)
    return build_system(resources, region, name=name, function=function, source=str(path))
