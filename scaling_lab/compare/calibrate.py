"""Calibrate a system file from an observed run: fit what the run can show.

Fitted today:
- per-endpoint service time: log-normal from the observed p50 and p95 of the seconds before the
  spike (or every error-free second when the scenario has no spike), sigma = ln(p95/p50) / z(0.95);
- DynamoDB auto-scaling actuation delay: the observed first scale-out minus the time the
  2-datapoint rule fired on the observed consumed-capacity datapoints.
Everything else is kept and listed as "not observable from this run".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaling_lab.result.figures import first_scale_out_s, phases_of
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import RunResult, SecondSample
from scaling_lab.scenario.models import Endpoint
from scaling_lab.system.distributions import LogNormal
from scaling_lab.system.models import SystemConfig

__all__ = ["HEADER", "Calibration", "calibrate", "write_system_file"]

HEADER = "# Calibrated by scaling-lab from"  # the first line of every file calibrate writes

Z95 = 1.6448536269514722  # standard normal 95th percentile
MIN_REQUESTS = 100


@dataclass
class Calibration:
    system: SystemConfig
    fitted: dict[str, str] = field(default_factory=dict)  # field path -> where it came from
    kept: dict[str, str] = field(default_factory=dict)  # field path -> why not fitted


def _quiet_seconds(result: RunResult) -> list[SecondSample]:
    phases = phases_of(result)
    first = phases[0]
    seconds = [s for s in result.series if first.contains(s.t_s)]
    if first.name != "before":  # no spike: use every error-free second
        seconds = list(result.series)
    return [s for s in seconds if s.errors is not None and s.errors.total == 0 and s.completed]


def _fit_service_times(result: RunResult, cal: Calibration) -> dict[Endpoint, Any]:
    quiet = _quiet_seconds(result)
    out: dict[Endpoint, Any] = dict(cal.system.lambda_.service_time_ms)
    span = f"seconds {quiet[0].t_s}-{quiet[-1].t_s}" if quiet else "no quiet seconds"
    for endpoint in Endpoint:
        path = f"lambda.service_time_ms.{endpoint.value}"
        h = LatencyHistogram()
        for s in quiet:
            sec = s.endpoints.get(endpoint.value)
            one = sec.histogram() if sec is not None else None
            if one is not None:
                h.merge(one)
        if h.count < MIN_REQUESTS:
            cal.kept[path] = f"only {h.count} error-free requests observed (need {MIN_REQUESTS})"
            continue
        p50, p95 = h.percentile_ms(50), h.percentile_ms(95)
        assert p50 is not None and p95 is not None
        sigma = max(0.0, math.log(max(p95, p50) / max(p50, 1e-3)) / Z95)
        out[endpoint] = LogNormal(median_ms=round(p50, 3), sigma=round(sigma, 4))
        cal.fitted[path] = (
            f"lognormal from run {result.run_id}: p50 {p50:.2f} ms, p95 {p95:.2f} ms over "
            f"{h.count} error-free requests ({span})"
        )
    return out


def _fit_scaling_delays(result: RunResult, cal: Calibration) -> tuple[float, float] | None:
    """The metric and actuation delays that put the model's first scale-out where the run saw
    it: the rule fires at the end of the second datapoint above target; what passes between
    that and the observed change is the metric delay plus UpdateTable's. The metric delay is
    kept unless the change came sooner than it allows; the actuation delay takes the rest."""
    path = "dynamodb.write.auto_scaling.actuation_delay_s"
    ddb = cal.system.dynamodb
    if ddb.write is None or ddb.write.auto_scaling is None:
        return None
    auto = ddb.write.auto_scaling
    observed = first_scale_out_s(result.series)
    consumed = [s.ddb_consumed_wcu for s in result.series]
    provisioned = [s.ddb_provisioned_wcu for s in result.series]
    if observed is None or any(v is None for v in consumed) or provisioned[0] is None:
        cal.kept[path] = "no observed scale-out with consumed/provisioned WCU in this run"
        return None
    width = int(auto.datapoint_s)
    above = 0
    for m in range(len(result.series) // width):
        window = result.series[m * width : (m + 1) * width]
        used = sum(float(s.ddb_consumed_wcu or 0.0) for s in window) / width
        prov = float(window[0].ddb_provisioned_wcu or 0.0)
        above = above + 1 if prov and used / prov * 100 > auto.target_utilization_pct else 0
        if above >= auto.scale_out_datapoints:
            fired = (m + 1) * width
            total = max(0.0, observed - fired)
            metric = min(auto.metric_delay_s, total)
            cal.fitted[path] = (
                f"run {result.run_id}: rule fired at t={fired} s, provisioned WCU rose at "
                f"t={observed:.0f} s: {total:.0f} s of metric delay ({metric:.0f} s) and "
                "UpdateTable"
            )
            if metric != auto.metric_delay_s:
                cal.fitted["dynamodb.write.auto_scaling.metric_delay_s"] = (
                    f"run {result.run_id}: the change came {total:.0f} s after the rule fired"
                )
            return metric, total - metric
    cal.kept[path] = "the 2-datapoint scale-out rule never fired on the observed datapoints"
    return None


def calibrate(observed: RunResult, system: SystemConfig) -> Calibration:
    """Return a new SystemConfig with every fittable parameter fitted from ``observed``."""
    cal = Calibration(system=system)
    service = _fit_service_times(observed, cal)
    lam = system.lambda_.model_copy(update={"service_time_ms": service})
    delays = _fit_scaling_delays(observed, cal)
    ddb = system.dynamodb
    if delays is not None and ddb.write is not None and ddb.write.auto_scaling is not None:
        metric, actuation = delays
        auto = ddb.write.auto_scaling.model_copy(
            update={"metric_delay_s": metric, "actuation_delay_s": actuation}
        )
        ddb = ddb.model_copy(update={"write": ddb.write.model_copy(update={"auto_scaling": auto})})
    cal.kept.setdefault(
        "lambda.cold_start_ms",
        "cold-start durations are not separable from client latency in a k6 run",
    )
    cal.system = system.model_copy(update={"lambda_": lam, "dynamodb": ddb})
    # Round-trip through validation so a bad fit is caught here, not at the next predict.
    cal.system = SystemConfig.model_validate(cal.system.model_dump(by_alias=True))
    return cal


def write_system_file(cal: Calibration, path: Path, source: str) -> Path:
    data = cal.system.model_dump(by_alias=True, mode="json", exclude_none=True)
    data["name"] = Path(path).stem if _valid_name(Path(path).stem) else data["name"]
    header = [f"{HEADER} {source}.", "# Fitted values and their sources:"]
    header += [f"#   {k}: {v}" for k, v in cal.fitted.items()] or ["#   (none)"]
    header += ["# Kept from the input system file:"]
    header += [f"#   {k}: {v}" for k, v in cal.kept.items()]
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    return path


def _valid_name(name: str) -> bool:
    import re

    return re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name) is not None
