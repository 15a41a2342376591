"""Render a scenario (and its system) into a k6 script: one arrival-rate scenario per endpoint."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

from scaling_lab.scenario.models import Endpoint, Scenario
from scaling_lab.scenario.thresholds import parse_threshold
from scaling_lab.system.models import SystemConfig

__all__ = ["VuSizing", "k6_thresholds", "render_script", "vu_sizing"]

# k6 emits these tags; everything else is dropped to keep the sample stream small. ``scenario``
# names the endpoint (one k6 scenario per endpoint), ``status`` and ``error_code`` the outcome.
SYSTEM_TAGS = ["status", "scenario", "error_code"]
TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"]
# ASSUMPTION: client-side overhead on top of the handler's service time (TLS, network, front
# door) used only to size the VU pool; too low costs dropped iterations, too high memory.
NETWORK_OVERHEAD_MS = 50.0
VU_HEADROOM = 2.0  # pre-allocate twice what Little's law asks for at the expected latency
MAX_VU_FACTOR = 4  # and allow four times that when latency grows,
MAX_VU_LATENCY_S = 0.5  # or enough for a 500 ms mean latency at the peak (spikes, cold starts)
MIN_PREALLOCATED_VUS = 2
MAX_ACK_POOL = 20_000  # events created in setup() for the ack endpoint; reused round-robin
SETUP_BATCH = 50


@dataclass(frozen=True)
class VuSizing:
    expected_latency_ms: float
    preallocated: int
    maximum: int


def vu_sizing(peak_rate_per_s: float, expected_latency_ms: float) -> VuSizing:
    """Little's law: concurrent requests = rate x latency; with headroom, never below 2."""
    busy = peak_rate_per_s * expected_latency_ms / 1000.0
    pre = max(MIN_PREALLOCATED_VUS, math.ceil(busy * VU_HEADROOM))
    most = max(pre * MAX_VU_FACTOR, math.ceil(peak_rate_per_s * MAX_VU_LATENCY_S), 10)
    return VuSizing(expected_latency_ms, pre, most)


def _duration(seconds: float) -> str:
    return f"{seconds:g}s"


def _rate_unit(rates: list[float]) -> tuple[str, float]:
    """k6 stage targets are integers: use per-second rates when they are whole, else per-minute."""
    if all(abs(r - round(r)) < 1e-9 for r in rates):
        return "1s", 1.0
    return "1m", 60.0


def _executor(scenario: Scenario, share: float, vus: VuSizing, grace_s: float) -> dict[str, Any]:
    k = scenario.scale * share
    segments = scenario.traffic.segments
    raw: list[float] = [segments[0].rate_from * k]
    for seg in segments:
        raw += [seg.rate_from * k, seg.rate_to * k]
    unit, mult = _rate_unit(raw)
    stages: list[dict[str, Any]] = []
    level = segments[0].rate_from * k
    for seg in segments:
        if abs(seg.rate_from * k - level) > 1e-9:  # a step: jump, then hold/ramp
            stages.append({"duration": "0s", "target": round(seg.rate_from * k * mult)})
        stages.append(
            {
                "duration": _duration(seg.end_s - seg.start_s),
                "target": round(seg.rate_to * k * mult),
            }
        )
        level = seg.rate_to * k
    return {
        "executor": "ramping-arrival-rate",
        "startRate": round(segments[0].rate_from * k * mult),
        "timeUnit": unit,
        "preAllocatedVUs": vus.preallocated,
        "maxVUs": vus.maximum,
        "stages": stages,
        "gracefulStop": _duration(grace_s),
        "tags": {"phase": "load"},
    }


def k6_thresholds(scenario: Scenario) -> dict[str, list[str]]:
    """The scenario's thresholds on k6 metrics: latency on http_req_duration, rate on
    http_req_failed, count on http_reqs; per endpoint through the ``scenario`` tag. Windowed
    thresholds (``over 10s``) have no k6 equivalent: scaling-lab judges them on the result."""
    out: dict[str, list[str]] = {}
    for key, exprs in scenario.thresholds.items():
        name = str(key.value if isinstance(key, Endpoint) else key)
        selector = "{phase:load}" if name == "all" else f"{{scenario:{name}}}"
        for expr in exprs:
            th = parse_threshold(expr)
            if th.window_s is not None:
                continue
            if th.aggregation == "rate":
                metric = "http_req_failed"
            elif th.aggregation in ("count", "value"):
                metric = "http_reqs"
                expr = expr.replace("value", "count", 1)
            else:
                metric = "http_req_duration"
            out.setdefault(f"{metric}{selector}", []).append(expr)
    return out


def _expected_ack_requests(scenario: Scenario) -> int:
    share = scenario.mix.fractions().get(Endpoint.ACK, 0.0)
    return math.ceil(scenario.total_requests() * share)


def _override(
    auto: VuSizing, share: float, preallocated: int | None, maximum: int | None
) -> VuSizing:
    """Totals given by the user (``--vus``, ``--max-vus``) split over endpoints by rate share."""
    pre = auto.preallocated if preallocated is None else max(1, round(preallocated * share))
    most = auto.maximum if maximum is None else max(1, round(maximum * share))
    if maximum is not None:
        pre = min(pre, most)
    return VuSizing(auto.expected_latency_ms, pre, max(pre, most))


def render_script(
    scenario: Scenario,
    system: SystemConfig,
    *,
    preallocated_vus: int | None = None,
    max_vus: int | None = None,
) -> str:
    """The k6 script for ``scenario`` (rates already multiplied by ``scenario.scale``).

    ``preallocated_vus`` / ``max_vus``: totals over all endpoints (default: Little's law with
    headroom, see :func:`vu_sizing`), split by each endpoint's share of the rate."""
    request_timeout_s = system.lambda_.timeout_s + 5.0
    executors: dict[str, Any] = {}
    for endpoint, share in scenario.mix.fractions().items():
        service = system.lambda_.service_time_ms.get(endpoint)
        latency_ms = (service.mean_ms() if service is not None else 0.0) + NETWORK_OVERHEAD_MS
        vus = _override(
            vu_sizing(scenario.peak_rate * share, latency_ms), share, preallocated_vus, max_vus
        )
        executors[endpoint.value] = {
            **_executor(scenario, share, vus, request_timeout_s),
            "exec": endpoint.value,
        }
    options: dict[str, Any] = {
        "scenarios": executors,
        "thresholds": k6_thresholds(scenario),
        "systemTags": SYSTEM_TAGS,
        "summaryTrendStats": TREND_STATS,
        "discardResponseBodies": True,
        "setupTimeout": "10m",
    }
    pages = sorted(set(scenario.inbox.pages))
    config = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "size_min": scenario.payload.size_bytes.min,
        "size_max": scenario.payload.size_bytes.max,
        "event_types": list(scenario.payload.event_types),
        "page_limit": scenario.inbox.page_limit,
        "pages": pages,
        "max_page": max(pages),
        "ack_pool": min(MAX_ACK_POOL, _expected_ack_requests(scenario)),
        "batch": SETUP_BATCH,
        "timeout": _duration(request_timeout_s),
        "faults": [
            f.model_dump(by_alias=True, mode="json", exclude_none=True) for f in scenario.faults
        ],
    }
    template = resources.files("scaling_lab.load").joinpath("k6_script.js").read_text("utf-8")
    return template.replace("/*@CONFIG@*/", json.dumps(config, indent=2)).replace(
        "/*@OPTIONS@*/", json.dumps(options, indent=2)
    )
