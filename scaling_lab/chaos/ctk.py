"""scaling-lab's actions, probes and control for Chaos Toolkit (``chaos run`` from the
``chaostoolkit`` package): python providers with ``"module": "scaling_lab.chaos.ctk"``.

- control (experiment level): ``before_experiment_control`` starts k6 load on the local stack
  in the background (as ``start_load``); ``after_experiment_control`` waits for it to end.
- actions: ``start_load``, ``inject_fault`` (a governor fault from now), ``clear_faults``
  (end every active fault: a rollback), ``stop_load``, ``wait_for_load``.
- probes (numbers Chaos Toolkit's ``range`` tolerances check): ``p95_ms`` / ``latency_ms``
  (an endpoint's latency over the last N seconds), ``error_rate``, ``ddb_throttles``,
  ``figure`` (any per-second figure), ``active_faults``.

Probes read the run's per-second series with the same code ``chaos run`` judges probes with
(:func:`scaling_lab.chaos.hypothesis.probe_value`): while the load goes, the last N complete
seconds; once it ended, its last N seconds. A probe with nothing measured raises (Chaos
Toolkit marks it failed, and a hypothesis probe that failed is not met). Runs are named
(``run``, default ``"default"``) and live in the ``chaos`` process; bad arguments raise an
InputError naming the argument.
"""

from __future__ import annotations

import inspect
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from scaling_lab.chaos.governor import GovernorClient
from scaling_lab.chaos.hypothesis import probe_value
from scaling_lab.chaos.local_target import COMPLETE_AFTER_S, with_figures
from scaling_lab.chaos.models import Action, Probe
from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.jsontypes import JsonObject
from scaling_lab.load.abort import Aborted
from scaling_lab.load.hooks import LiveRun, RunHooks
from scaling_lab.load.runner import LoadRun, run_load
from scaling_lab.load.target import Target
from scaling_lab.result.models import SecondSample
from scaling_lab.scenario.thresholds import parse_threshold

__all__ = [
    "active_faults",
    "after_experiment_control",
    "before_experiment_control",
    "clear_faults",
    "ddb_throttles",
    "error_rate",
    "figure",
    "inject_fault",
    "latency_ms",
    "p95_ms",
    "start_load",
    "stop_load",
    "wait_for_load",
]


@dataclass
class _Run:
    name: str
    duration_s: float
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    warmup_s: float = 0.0
    live: LiveRun | None = None
    url: str | None = None
    load: LoadRun | None = None
    error: str | None = None


_RUNS: dict[str, _Run] = {}
_LOCK = threading.Lock()


def _run(name: str) -> _Run:
    with _LOCK:
        run = _RUNS.get(name)
    if run is None:
        raise InputError(f"run: no load named {name!r} was started (start_load first)")
    return run


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{name}: expected a number, got {value!r}")
    try:
        x = float(value)
    except ValueError:
        raise InputError(f"{name}: expected a number, got {value!r}") from None
    if not (math.isfinite(x) and low <= x <= high):
        raise InputError(f"{name}: expected {low:g} to {high:g}, got {value!r}")
    return x


# -- the load ------------------------------------------------------------------------------------


def start_load(
    scenario: str,
    scale: float = 1.0,
    system: str | None = None,
    out_dir: str = "runs",
    backend: str = "embedded",
    warmup_s: float = 3.0,
    timeout_s: float = 120.0,
    run: str = "default",
) -> JsonObject:
    """Start k6 load of ``scenario`` on the local stack in the background; return once
    ``warmup_s`` seconds of it are measured (so probes have seconds to read)."""
    from scaling_lab.inputs import load_inputs

    factor = _number("scale", scale, 0.0001, 1000)
    warm = _number("warmup_s", warmup_s, 0, 3600)
    wait = _number("timeout_s", timeout_s, 1, 3600)
    inputs = load_inputs(scenario, system)
    with _LOCK:
        old = _RUNS.get(run)
        if old is not None and not old.done.is_set():
            raise InputError(f"run: a load named {run!r} is still running")
        state = _RUNS[run] = _Run(run, inputs.scenario.duration_s, warmup_s=warm)

    def check(live: LiveRun) -> Aborted | None:
        state.live = live
        elapsed = live.elapsed_s or 0.0
        if elapsed >= state.warmup_s + COMPLETE_AFTER_S:
            state.started.set()
        if state.stop.is_set():
            return Aborted("stop_load", math.nan, elapsed, over="(asked by the experiment)")
        return None

    def ready(tgt: Target) -> None:
        state.url = tgt.url

    def go() -> None:
        try:
            state.load = run_load(
                inputs.scenario,
                inputs.system,
                target="local",
                scale=factor,
                out_dir=Path(out_dir),
                live=False,
                console=Console(stderr=True, quiet=True),
                backend=backend,
                hooks=RunHooks(ready=ready, check=check),
            )
        except Exception as exc:  # reported by the next action or probe on this run
            state.error = f"{type(exc).__name__}: {exc}"
        finally:
            state.done.set()
            state.started.set()

    threading.Thread(target=go, name=f"scaling-lab-load-{run}", daemon=True).start()
    if not state.started.wait(wait):
        raise EnvironmentProblem(f"start_load: the load did not start within {wait:g} s")
    if state.error is not None:
        raise EnvironmentProblem(f"start_load: {state.error}")
    return {"run": run, "url": state.url, "scenario": inputs.scenario.name, "scale": factor}


def stop_load(run: str = "default") -> JsonObject:
    """Stop the load now (k6 ends its iterations); return as ``wait_for_load``."""
    _run(run).stop.set()
    return wait_for_load(run)


def wait_for_load(run: str = "default", timeout_s: float = 3600.0) -> JsonObject:
    """Wait for the load to end; the result's file, requests, errors and the audit."""
    state = _run(run)
    if not state.done.wait(_number("timeout_s", timeout_s, 0, 86_400)):
        raise EnvironmentProblem(f"wait_for_load: run {run!r} still going after {timeout_s} s")
    if state.load is None:
        raise EnvironmentProblem(f"run {run!r} failed: {state.error}")
    res = state.load.result
    return {
        "run": run,
        "result": str(state.load.path),
        "requests": res.summary.requests,
        "errors": res.summary.errors.total,
        "stopped_early": state.load.aborted is not None,
        "audit": [n for n in res.provenance.notes if n.startswith("audit")],
    }


def _control_arguments(arguments: dict[str, object]) -> dict[str, object]:
    known = set(inspect.signature(start_load).parameters)
    unknown = sorted(set(arguments) - known)
    if unknown:
        raise InputError(
            f"controls: unknown argument {unknown[0]!r}; expected {', '.join(sorted(known))}"
        )
    if "scenario" not in arguments:
        raise InputError("controls: argument 'scenario' is required (a name or a file)")
    return arguments


def before_experiment_control(context: object, **arguments: object) -> None:
    """Control: start the load before the steady-state hypothesis (``start_load``'s
    arguments)."""
    start_load(**_control_arguments(arguments))  # type: ignore[arg-type]


def after_experiment_control(context: object, **arguments: object) -> None:
    """Control: wait for the load to end once the experiment is over."""
    name = arguments.get("run", "default")
    wait_for_load(str(name))


# -- faults --------------------------------------------------------------------------------------


def _client(run: str) -> GovernorClient:
    state = _run(run)
    if state.url is None or state.done.is_set():
        raise EnvironmentProblem(f"run {run!r}: the local stack is not running")
    return GovernorClient(state.url)


def inject_fault(
    kind: str,
    duration: str | float,
    target: str = "dynamodb",
    at: str | float = 0,
    rate: float | None = None,
    latency_ms: float | None = None,
    capacity_factor: float | None = None,
    run: str = "default",
) -> JsonObject:
    """Inject a fault through the governor, ``at`` from now for ``duration`` (the kinds and
    fields of an experiment's method, docs/experiment-reference.md)."""
    try:
        action = Action.model_validate(
            {
                "name": "ctk",
                "kind": kind,
                "at": at,
                "duration": duration,
                "target": target,
                "rate": rate,
                "latency_ms": latency_ms,
                "capacity_factor": capacity_factor,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise InputError(f"inject_fault: {where}: {first['msg']}") from None
    now = _client(run).inject([action.fault()])
    return {"run_time_s": now.run_time_s, "active": list(now.active)}


def clear_faults(run: str = "default") -> JsonObject:
    """End every active fault now and cancel pending ones (a rollback)."""
    cleared, after = _client(run).clear()
    return {"cleared": list(cleared), "active_after": list(after.active)}


def active_faults(run: str = "default") -> int:
    """How many faults are active now (0 once the load ended: the stack is gone)."""
    state = _run(run)
    if state.done.is_set():
        return 0
    return len(_client(run).faults_now().active)


# -- SLO probes ----------------------------------------------------------------------------------


def _last_seconds(state: _Run, last_s: int) -> list[SecondSample]:
    if state.load is not None:
        series = state.load.result.series
        ran = [s for s in series if s.completed]
        end = (ran[-1].t_s + 1) if ran else 0
        return [s for s in series if end - last_s <= s.t_s < end]
    live = state.live
    if live is None or live.elapsed_s is None:
        raise EnvironmentProblem(f"run {state.name!r}: nothing measured yet")
    end = math.floor(live.elapsed_s) - COMPLETE_AFTER_S
    return with_figures(live, live.seconds(end - last_s, end), state.duration_s)


def _read(probe: Probe, last_s: float, run: str) -> float:
    n = int(_number("last_s", last_s, 1, 86_400))
    state = _run(run)
    if state.error is not None and state.load is None:
        raise EnvironmentProblem(f"run {run!r} failed: {state.error}")
    seconds = _last_seconds(state, n)
    value = probe_value(probe, parse_threshold(probe.tolerance), seconds)
    if value is None:
        raise EnvironmentProblem(f"{probe.name}: nothing measured in the last {n} s of run {run!r}")
    return value


def _probe(name: str, **fields: object) -> Probe:
    try:
        return Probe.model_validate({"name": name, **fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{name}: {first['msg']}") from None


def latency_ms(
    endpoint: str = "post_events", percentile: float = 95, last_s: float = 10, run: str = "default"
) -> float:
    """The endpoint's latency percentile (ms) over the last ``last_s`` seconds."""
    q = _number("percentile", percentile, 0, 100)
    return _read(_probe("latency_ms", endpoint=endpoint, tolerance=f"p({q:g})<1"), last_s, run)


def p95_ms(endpoint: str = "post_events", last_s: float = 10, run: str = "default") -> float:
    """The endpoint's p95 latency (ms) over the last ``last_s`` seconds."""
    return latency_ms(endpoint, 95, last_s, run)


def error_rate(endpoint: str = "all", last_s: float = 10, run: str = "default") -> float:
    """Failed share of the endpoint's responses (``all``: every endpoint) over the last
    ``last_s`` seconds."""
    return _read(_probe("error_rate", endpoint=endpoint, tolerance="rate<1"), last_s, run)


def figure(name: str, aggregation: str = "max", last_s: float = 10, run: str = "default") -> float:
    """A per-second figure (``ddb_throttled``, ``lambda_concurrency``, ...) over the last
    ``last_s`` seconds: ``max min avg med p(N)`` of the seconds, or ``count`` their sum."""
    return _read(_probe("figure", figure=name, tolerance=f"{aggregation}<0"), last_s, run)


def ddb_throttles(last_s: float = 10, run: str = "default") -> float:
    """DynamoDB requests throttled over the last ``last_s`` seconds."""
    return figure("ddb_throttled", "count", last_s, run)
