"""What this machine sustains: a short k6 step probe of the local stack, cached for a day.

``--scale auto`` sizes local runs from it: the stack is started once without capacity
emulation (nothing throttles), POST /v1/events is driven at increasing constant arrival rates
for a few seconds each, and the highest rate with p95 < 100 ms, no errors and no dropped
iterations is the machine's sustainable rate. The search is the pure :func:`search`; the
measurement reuses the k6 script, process runner and CSV aggregator of ``run_load``.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from scaling_lab.errors import EnvironmentProblem, InputError, Interrupted

__all__ = [
    "DEFAULT_RATES",
    "HEADROOM",
    "P95_LIMIT_MS",
    "PROBE_ENV",
    "ProbeResult",
    "StepResult",
    "auto_budget",
    "cache_path",
    "positive_rate",
    "probe_sustainable_rate",
    "search",
    "sustainable_rate",
]

DEFAULT_RATES: tuple[float, ...] = (50, 100, 200, 300, 400, 500, 600)
DEFAULT_STEP_S = 5.0
P95_LIMIT_MS = 100.0  # the spike scenario's own post_events threshold, p(95)<100
# A verify run needs far more of the machine than the probe's plain POSTs at the same rate:
# the emulated spike adds SDK retries, the capacity governor and the audit on the same cores,
# and the peak is a step, not a level the stack has warmed up to. Verify runs at 200 req/s
# peak on a machine sustaining ~400 req/s agreed with the model within tolerance
# (docs/validation.md), so half the probed rate is the budget. An assumption from those runs.
HEADROOM = 0.5
CACHE_TTL = timedelta(hours=24)
PROBE_ENV = "SCALING_LAB_PROBE"  # "refresh": probe again; a number: use it, no probe
_CACHE_FILE = "probe.json"
_STAGING_SYSTEM = Path(__file__).resolve().parents[2] / "scenarios" / "systems" / "staging.yaml"


@dataclass(frozen=True)
class StepResult:
    """One constant-rate step of the probe."""

    rate_per_s: float
    requests: int
    p95_ms: float | None
    errors: int
    dropped_iterations: int

    @property
    def ok(self) -> bool:
        return (
            self.requests > 0
            and self.p95_ms is not None
            and self.p95_ms < P95_LIMIT_MS
            and self.errors == 0
            and self.dropped_iterations == 0
        )

    def describe(self) -> str:
        p95 = "n/a" if self.p95_ms is None else f"{self.p95_ms:.0f} ms"
        text = f"p95 {p95}"
        if self.errors:
            text += f", {self.errors} errors"
        if self.dropped_iterations:
            text += f", {self.dropped_iterations} dropped iterations"
        return text


@dataclass(frozen=True)
class ProbeResult:
    """The highest rate that passed (0 when none did), the steps, and where it came from."""

    sustainable_rate_per_s: float
    steps: tuple[StepResult, ...] = ()
    source: str = "probe"  # probe | cache | env
    measured_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def search(
    rates: Iterable[float],
    measure: Callable[[float], StepResult],
    on_step: Callable[[StepResult], None] | None = None,
) -> tuple[float, tuple[StepResult, ...]]:
    """Measure ``rates`` in increasing order and stop at the first failing step; return the
    highest passing rate (0 when the lowest fails) and the steps measured."""
    best = 0.0
    steps: list[StepResult] = []
    for rate in sorted(set(rates)):
        if rate <= 0:
            raise InputError(f"probe rates: must be > 0, got {rate:g}")
        step = measure(rate)
        steps.append(step)
        if on_step is not None:
            on_step(step)
        if not step.ok:
            break
        best = rate
    return best, tuple(steps)


def auto_budget(sustainable_rate_per_s: float) -> float:
    """The peak rate ``--scale auto`` allows on a machine that sustains this rate."""
    return HEADROOM * sustainable_rate_per_s


# -- measurement (processes) -------------------------------------------------------------------


def _step_scenario(rate_per_s: float, step_s: float) -> Any:
    from scaling_lab.scenario.models import Scenario

    return Scenario.model_validate(
        {
            "name": "probe",
            "description": "machine probe: constant POST /v1/events",
            "system": "staging",
            "traffic": {
                "start_rate": rate_per_s,
                "stages": [{"duration": f"{step_s:g}s", "target": rate_per_s}],
            },
            "mix": {"post_events": 1},
        }
    )


def _measure_step(
    k6_path: str, url: str, api_keys: Sequence[str], rate_per_s: float, step_s: float
) -> StepResult:
    """One k6 run at a constant rate through the same script, runner and aggregator as runs."""
    from scaling_lab.load.aggregate import K6CsvAggregator
    from scaling_lab.load.k6proc import K6Process
    from scaling_lab.load.script import render_script
    from scaling_lab.provenance import make_provenance
    from scaling_lab.result.builder import ResultBuilder, new_run_id
    from scaling_lab.result.models import ResultKind
    from scaling_lab.system import load_system

    scenario = _step_scenario(rate_per_s, step_s)
    # The shipped staging system only sizes k6's VU pool and request timeout (the stack runs
    # without it); the project's own file, whatever ./scenarios holds.
    system = load_system(_STAGING_SYSTEM)
    run_id = new_run_id(scenario.name, ResultKind.OBSERVED)
    provenance = make_provenance(target="local", backend=None, seed=scenario.seed, mode="probe")
    builder = ResultBuilder(
        scenario, system, ResultKind.OBSERVED, provenance, observable={"dropped_iterations"}
    )
    with tempfile.TemporaryDirectory(prefix="scaling-lab-probe-") as tmp:
        work = Path(tmp)
        script = work / "script.js"
        script.write_text(render_script(scenario, system), encoding="utf-8")
        agg = K6CsvAggregator(builder, ["post_events"], duration_s=scenario.duration_s)
        env = {
            "SL_BASE_URL": url,
            "SL_API_KEYS": ",".join(api_keys),
            "SL_RUN_ID": run_id,
            "SL_PREFILL": "0",
            "SL_GOVERNOR": "0",
        }
        proc = K6Process(k6_path, script, work, env, agg, work / "k6-summary.json")
        proc.start()
        run = proc.wait()
        if run.interrupted:
            raise Interrupted("interrupted while probing this machine; nothing cached")
        if run.exit_code not in (0, 99) and agg.requests == 0:
            tail = run.log_tail[-1] if run.log_tail else ""
            raise EnvironmentProblem(f"probe: k6 exited with code {run.exit_code}: {tail}")
    summary = builder.build(run_id=run_id).summary
    return StepResult(
        rate_per_s=rate_per_s,
        requests=summary.requests,
        p95_ms=summary.latency_ms.p95,
        errors=summary.errors.total + run.request_failed_warnings,
        dropped_iterations=agg.dropped,
    )


def probe_sustainable_rate(
    *,
    backend: str = "embedded",
    rates: Sequence[float] = DEFAULT_RATES,
    step_s: float = DEFAULT_STEP_S,
    console: Console | None = None,
) -> ProbeResult:
    """Start the local stack once (no capacity emulation) and :func:`search` ``rates``."""
    from scaling_lab.load.k6bin import find_k6

    if step_s <= 0:
        raise InputError(f"probe step: must be > 0 s, got {step_s:g}")
    k6 = find_k6()
    from emulator.stack import start_local_stack

    console = console or Console(stderr=True)

    def shown(rate: float) -> StepResult:
        console.print(f"probing what this machine sustains: {rate:g} req/s ...", end=" ")
        return _measure_step(k6.path, stack.url, stack.api_keys, rate, step_s)

    def report(step: StepResult) -> None:
        verdict = "[green]ok[/green]" if step.ok else "[yellow]too much[/yellow]"
        console.print(f"{verdict} ({step.describe()})")

    # system=None: no capacity governor, so only this machine limits the rate.
    with start_local_stack(backend=backend, tenants=1, system=None) as stack:
        best, steps = search(rates, shown, report)
    return ProbeResult(sustainable_rate_per_s=best, steps=steps)


# -- cache ----------------------------------------------------------------------------------


def cache_path() -> Path:
    """``$XDG_CACHE_HOME/scaling-lab/probe.json`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scaling-lab" / _CACHE_FILE


def _cache_key() -> dict[str, Any]:
    from scaling_lab import __version__

    return {"host": socket.gethostname(), "cpus": os.cpu_count(), "version": __version__}


def _load_cached(path: Path, key: dict[str, Any], now: datetime) -> ProbeResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        measured = datetime.fromisoformat(data["measured_at"])
        if not timedelta(0) <= now - measured <= CACHE_TTL:
            return None
        rate = float(data["sustainable_rate_per_s"])
        steps = tuple(StepResult(**s) for s in data.get("steps", []))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or unreadable: probe again
    if rate <= 0:
        return None
    return ProbeResult(rate, steps, source="cache", measured_at=data["measured_at"])


def _save_cached(path: Path, key: dict[str, Any], result: ProbeResult) -> None:
    data = {
        "key": key,
        "sustainable_rate_per_s": result.sustainable_rate_per_s,
        "measured_at": result.measured_at,
        "steps": [asdict(s) for s in result.steps],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: probe again next time


def positive_rate(name: str, text: str, expected: str) -> float:
    """``text`` (the setting ``name``) as a rate > 0 in req/s; InputError saying ``expected``."""
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not rate > 0:
        raise InputError(f"{name}: expected {expected}, got {text!r}")
    return rate


def sustainable_rate(
    *,
    backend: str = "embedded",
    console: Console | None = None,
    probe: Callable[..., ProbeResult] = probe_sustainable_rate,
    now: datetime | None = None,
) -> ProbeResult:
    """The cached probe result (same host, CPU count and version, < 24 h old), else a new
    probe, saved when it found a rate. ``$SCALING_LAB_PROBE``: ``refresh`` forces a probe, a
    number is used as the rate without probing."""
    console = console or Console(stderr=True)
    now = now or datetime.now(UTC)
    setting = os.environ.get(PROBE_ENV, "").strip()
    if setting and setting != "refresh":
        rate = positive_rate(PROBE_ENV, setting, "'refresh' or a rate > 0")
        return ProbeResult(rate, source="env", measured_at=now.isoformat())
    path, key = cache_path(), _cache_key()
    if setting != "refresh":
        cached = _load_cached(path, key, now)
        if cached is not None:
            console.print(
                f"this machine sustains {cached.sustainable_rate_per_s:g} req/s "
                f"(probed {cached.measured_at[:16]}; {PROBE_ENV}=refresh probes again)"
            )
            return cached
    result = probe(backend=backend, console=console)
    if result.sustainable_rate_per_s <= 0:
        lowest = min(DEFAULT_RATES)
        raise EnvironmentProblem(
            f"this machine did not sustain {lowest:g} req/s on the local stack "
            f"(p95 < {P95_LIMIT_MS:g} ms, no errors); set --scale or {PROBE_ENV}"
        )
    _save_cached(path, key, result)
    return result
