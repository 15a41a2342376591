"""Synthetic RunResults with the noise of a shared 2-core machine (test helper).

Latency per request: lognormal around ``median_ms``; each second is multiplied by an AR(1)
log-normal factor (slow seconds come in runs), the whole run by a run-level factor, and
contention bursts (another process taking a core) slow a share of the requests of a few
consecutive seconds. Sizes follow tests/unit/store/fixtures/loopback-rerun-*.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from scaling_lab.result import ErrorClass, Provenance, ResultBuilder, ResultKind, RunResult
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import load_system


@dataclass(frozen=True)
class Noise:
    sigma: float = 0.2  # request-to-request (log sd)
    second_sd: float = 0.025  # per-second factor (log sd): quiet reruns measured 0.017-0.048
    second_phi: float = 0.5  # its lag-1 autocorrelation
    run_sd: float = 0.01  # whole-run factor (log sd)
    burst_prob: float = 0.03  # chance a contention burst starts in a given second
    burst_len_s: int = 3
    burst_share: float = 0.15  # share of a burst second's requests that are slowed
    burst_factor: float = 3.0


QUIET = Noise(second_sd=0.0, run_sd=0.0, burst_prob=0.0)


def steady_scenario(
    rate: float = 100.0, duration: str = "60s", *, mix: dict[str, float] | None = None
) -> Scenario:
    base = load_scenario("smoke")
    data = base.model_dump(by_alias=True, mode="json")
    data["name"] = "steady-synth"
    data["traffic"] = {
        "start_rate": rate,
        "stages": [{"duration": duration, "target": rate, "name": "steady"}],
    }
    if mix:
        data["mix"] = mix
        data["thresholds"] = {"post_events": ["p(95)<100"], "get_inbox": ["p(95)<50"]}
    return Scenario.model_validate(data)


def synth_run(
    seed: int,
    *,
    scenario: Scenario | None = None,
    median_ms: dict[str, float] | None = None,
    slowdown: float = 1.0,
    error_rate: float = 0.0,
    noise: Noise | None = None,
    kind: ResultKind = ResultKind.OBSERVED,
    figures: bool = False,
    run_id: str | None = None,
) -> RunResult:
    sc = scenario or steady_scenario()
    nz = noise if noise is not None else Noise()
    medians = median_ms or {"post_events": 18.0, "get_inbox": 12.0, "ack": 10.0}
    system = load_system(sc.system)
    rng = np.random.default_rng(seed)
    prov = Provenance(
        target="local" if kind is ResultKind.OBSERVED else "model",
        backend="embedded" if kind is ResultKind.OBSERVED else None,
        seed=seed,
        started_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=seed),
        git_sha="0" * 40,
    )
    b = ResultBuilder(sc, system, kind, prov)
    run_factor = float(np.exp(rng.normal(0.0, nz.run_sd)))
    log_f = 0.0
    burst_left = 0
    fractions = sc.mix.fractions()
    for t in range(int(sc.duration_s)):
        log_f = nz.second_phi * log_f + rng.normal(
            0.0, nz.second_sd * np.sqrt(1 - nz.second_phi**2)
        )
        if burst_left == 0 and rng.random() < nz.burst_prob:
            burst_left = nz.burst_len_s
        in_burst = burst_left > 0
        burst_left = max(0, burst_left - 1)
        rate = sc.rate_at(t + 0.5)
        b.offered(t, rate)
        for ep, share in fractions.items():
            n = int(rng.poisson(rate * share))
            if n == 0:
                continue
            lat = (
                medians[ep.value]
                * slowdown
                * run_factor
                * np.exp(log_f + rng.normal(0.0, nz.sigma, size=n))
            )
            if in_burst:
                hit = rng.random(n) < nz.burst_share
                lat[hit] *= nz.burst_factor
            errs = rng.random(n) < error_rate
            values, counts = np.unique(np.round(lat[~errs], 1), return_counts=True)
            for v, c in zip(values, counts, strict=True):
                b.record(t, ep.value, float(v), None, int(c))
            if errs.any():
                b.record(t, ep.value, float(np.median(lat)), ErrorClass.SERVER, int(errs.sum()))
        if figures:
            b.figure(t, "lambda_concurrency", rate * 0.02 * slowdown)
            b.figure(t, "lambda_invocations", rate)
            b.figure(t, "ddb_provisioned_wcu", 5000.0)
            b.figure(t, "ddb_consumed_wcu", rate * 2)
            b.figure(t, "ddb_provisioned_rcu", 1000.0)
            b.figure(t, "ddb_consumed_rcu", 0.0)
    return b.build(
        run_id=run_id or f"synth-{seed}-x{slowdown:g}",
        finished_at=prov.started_at + timedelta(seconds=sc.duration_s),
    )
