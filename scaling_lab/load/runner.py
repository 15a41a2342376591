"""``run_scenario``: plan, safety checks, target, k6, streaming aggregation, observed RunResult."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from scaling_lab.errors import EnvironmentProblem, InputError, Interrupted, ScalingLabError
from scaling_lab.load.abort import Aborted, AbortWatch
from scaling_lab.load.aggregate import K6CsvAggregator, LiveStats
from scaling_lab.load.hooks import LiveRun, RunHooks
from scaling_lab.load.k6bin import find_k6
from scaling_lab.load.k6proc import K6Process, K6Run
from scaling_lab.load.live import render_live
from scaling_lab.load.plan import LoadPlan, check_plan, make_plan
from scaling_lab.load.script import render_script
from scaling_lab.load.segments import (
    MAX_RUNNERS,
    AggregatorGroup,
    K6Group,
    LockedAggregator,
    RemoteK6Process,
    segment_args,
)
from scaling_lab.load.target import Target, open_target
from scaling_lab.observe import apply_to_builder
from scaling_lab.provenance import make_provenance
from scaling_lab.result.builder import ResultBuilder, new_run_id
from scaling_lab.result.io import save_result
from scaling_lab.result.models import ResultKind, RunResult
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.scaling import scale_system

__all__ = ["LoadRun", "dropped_advice", "prepare", "run_load", "run_scenario"]

K6_EXIT_OK = 0
K6_EXIT_THRESHOLDS = 99  # errext/exitcodes ThresholdsHaveFailed: a result, not a crash


@dataclass(frozen=True)
class LoadRun:
    """An observed run: the result, where it was written, and k6's own verdict."""

    result: RunResult
    path: Path  # the RunResult JSON
    artifacts: Path  # script.js, k6.log, k6-summary.json, k6-stdout.txt
    plan: LoadPlan
    k6_exit_code: int
    k6_thresholds_failed: list[str]
    aborted: Aborted | None = None  # an abort condition stopped the run (partial result)


def prepare(
    scenario: Scenario,
    system: SystemConfig,
    *,
    target: str,
    scale: float = 1.0,
    preallocated_vus: int | None = None,
    max_vus: int | None = None,
) -> tuple[Scenario, SystemConfig, LoadPlan, str]:
    """Scale the scenario and system, make the plan and render the script (sends nothing)."""
    scaled = scenario.scaled(scale) if scale != 1.0 else scenario
    # The system is scaled by the scenario's total scale, as the local stack's capacity
    # emulation reads it (docs/system-reference.md, "--scale k": every rate and capacity x k).
    sys_scaled = scale_system(system, scaled.scale) if scaled.scale != 1.0 else system
    plan = make_plan(scaled, target)
    script = render_script(scaled, sys_scaled, preallocated_vus=preallocated_vus, max_vus=max_vus)
    return scaled, sys_scaled, plan, script


def _k6_failed_thresholds(summary_path: Path) -> list[str]:
    """Thresholds k6 itself failed (summary-export: ``true`` means FAILED)."""
    try:
        data: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    failed: list[str] = []
    for metric, body in sorted(data.get("metrics", {}).items()):
        for expr, did_fail in (body.get("thresholds") or {}).items():
            if did_fail is True:
                failed.append(f"{metric}: {expr}")
    return failed


def _env(target: Target, run_id: str, scenario: Scenario) -> dict[str, str]:
    return {
        "SL_BASE_URL": target.url,
        "SL_API_KEYS": ",".join(target.api_keys),
        "SL_RUN_ID": run_id,
        "SL_PREFILL": "0" if target.backlog_ready else str(scenario.inbox.backlog_events),
        "SL_GOVERNOR": "1" if target.governor else "0",
        # each key's share of the iterations (the scenario's tenant spread), when there is
        # one share per key; a URL target with one key gets none
        "SL_API_KEY_SHARES": _key_shares(scenario, len(target.api_keys)),
    }


def _key_shares(scenario: Scenario, n_keys: int) -> str:
    shares = scenario.keys.shares()
    return ",".join(f"{x:.6g}" for x in shares) if n_keys == len(shares) > 1 else ""


def run_scenario(scenario: Scenario, system: SystemConfig, **options: Any) -> RunResult:
    """:func:`run_load` returning only the observed RunResult (written to
    ``out_dir/<result.run_id>.json``); same keyword options."""
    return run_load(scenario, system, **options).result


def run_load(
    scenario: Scenario,
    system: SystemConfig,
    *,
    target: str = "local",
    api_key: str | None = None,
    scale: float = 1.0,
    out_dir: Path = Path("runs"),
    live: bool = True,
    console: Console | None = None,
    backend: str = "embedded",
    max_rate: float | None = None,
    yes: bool = False,
    allow_production: bool = False,
    k6_path: str | None = None,
    preallocated_vus: int | None = None,
    max_vus: int | None = None,
    runners: int = 1,
    keep_samples: bool = False,
    runner_hosts: Sequence[str] = (),
    ssh_command: Sequence[str] = ("ssh",),
    remote_k6: str = "k6",
    hooks: RunHooks | None = None,
) -> LoadRun:
    """Replay ``scenario`` with k6 against ``target`` ("local" or a base URL) and write an
    observed RunResult to ``out_dir/<run_id>.json``.

    Raises InputError when the plan is refused (production host, ``max_rate`` exceeded, a
    non-loopback target without ``yes``), EnvironmentProblem when k6 or the local stack
    is missing or k6 fails, and Interrupted after Ctrl-C (the partial result is written first).
    Failed thresholds are a result: see ``result.summary.thresholds_passed``; so is a run an
    abort condition stopped (``aborted``, partial result, thresholds failed).
    ``preallocated_vus`` / ``max_vus`` set k6's VU pool (totals; default from Little's law).
    ``runners`` > 1 splits the scenario into k6 execution segments, one k6 process each, all
    folded into one result (:mod:`scaling_lab.load.segments`); ``keep_samples`` keeps each
    runner's samples as ``runner-<i>/samples.csv.gz`` (``scaling-lab collect`` re-folds them).
    ``runner_hosts``: one segment per host, each k6 started there over ``ssh_command``
    (``remote_k6`` is k6 on those hosts); the target must be a URL they can reach.
    ``hooks`` (one local runner): calls into the run while it goes (:mod:`scaling_lab.load.hooks`).
    """
    if runner_hosts:
        runners = len(runner_hosts)
        if target == "local":
            raise InputError(
                "--runner-host: remote runners cannot reach the local stack on this machine's "
                "loopback; give --target URL"
            )
    if not 1 <= runners <= MAX_RUNNERS:
        raise InputError(f"--runners {runners}: expected 1 to {MAX_RUNNERS}")
    if hooks is not None and (runners > 1 or keep_samples):
        raise InputError("--runners: a run with hooks (chaos) uses one local k6 runner")
    hooks = hooks or RunHooks()
    scaled, sys_scaled, plan, script = prepare(
        scenario,
        system,
        target=target,
        scale=scale,
        preallocated_vus=preallocated_vus,
        max_vus=max_vus,
    )
    check_plan(plan, max_rate=max_rate, confirmed=yes, allow_production=allow_production)
    k6 = find_k6(k6_path)
    console = console or Console(stderr=True)
    run_id = new_run_id(scaled.name, ResultKind.OBSERVED)
    artifacts = Path(out_dir) / run_id
    artifacts.mkdir(parents=True, exist_ok=True)
    script_path = artifacts / "script.js"
    script_path.write_text(script, encoding="utf-8")
    summary_path = artifacts / "k6-summary.json"

    with open_target(plan.target, scaled, sys_scaled, api_key=api_key, backend=backend) as tgt:
        provenance = make_provenance(
            target=plan.target,
            backend=tgt.backend,
            seed=scaled.seed,
            scale=scaled.scale,
            mode="k6",
            extra_versions={"k6": k6.version},
        )
        builder = ResultBuilder(
            # The result records the system file as given (unscaled), like predict does;
            # scenario.scale says by how much rates and capacities were multiplied.
            scaled,
            system,
            ResultKind.OBSERVED,
            provenance,
            observable={"dropped_iterations"},
        )
        builder.notes.extend(tgt.notes)
        stats = LiveStats()
        endpoints = [ep.value for ep in scaled.mix.fractions()]
        agg: K6CsvAggregator | AggregatorGroup
        proc: K6Process | K6Group
        lock = threading.Lock()
        if runners == 1 and not keep_samples and not runner_hosts:
            agg = LockedAggregator(
                builder, endpoints, lock, live=stats, duration_s=scaled.duration_s
            )
            proc = K6Process(
                k6.path, script_path, artifacts, _env(tgt, run_id, scaled), agg, summary_path
            )
            summaries = [summary_path]
        else:
            agg, proc, summaries = _runners(
                runners,
                k6.path,
                script_path,
                artifacts,
                tgt,
                run_id,
                scaled,
                builder,
                stats,
                endpoints,
                keep_samples,
                list(runner_hosts),
                list(ssh_command),
                remote_k6,
            )
            where = f" on {', '.join(runner_hosts)}" if runner_hosts else ""
            builder.provenance.mode = f"k6, {runners} runners (execution segments){where}"
        console.print(
            f"k6 v{k6.version}: {scaled.name} -> {tgt.url} "
            f"({plan.peak_rate_per_s:,.0f} req/s peak, {plan.duration_s:,.0f} s"
            + (f", {runners} runners)" if runners > 1 else ")")
        )
        watch = AbortWatch(scaled.abort, stats)
        stack_watch = _StackWatch(proc, tgt.exited)
        if hooks.ready is not None:
            hooks.ready(tgt)
        live_run = LiveRun(builder, lock, tgt, lambda: agg.start_ms, lambda: _elapsed_s(agg))
        proc.start()
        k6run = _wait(
            proc, agg, stats, scaled, console if live else None, watch, stack_watch, hooks, live_run
        )
        if watch.tripped is not None:
            console.print(f"[red]{watch.tripped.note()}[/red]")
        hook_notes = hooks.stopped(tgt) if hooks.stopped is not None else []
        try:
            audit_notes = [*hook_notes, *_after_run(tgt, builder, agg, k6run)]
        except KeyboardInterrupt:  # still write what was measured
            k6run.interrupted, audit_notes = True, ["interrupted while collecting the audit"]

    return _finish(
        builder,
        agg,
        k6run,
        plan,
        run_id,
        artifacts,
        summary_path,
        audit_notes,
        Path(out_dir),
        watch.tripped,
        summaries,
        stack_watch.died,
    )


class _StackWatch:
    """Stops k6 as soon as a process of the local stack exits: from then on the load measures
    a broken stack (a dead API is not 'timeouts', a dead DynamoDB not a slow load generator)."""

    def __init__(self, proc: K6Process | K6Group, exited: Callable[[], list[str]] | None) -> None:
        self._proc = proc
        self._exited = exited
        self._next = 0.0
        self.died: list[str] = []

    def __call__(self) -> None:
        if self._exited is None or self.died or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + 1.0
        self.died = self._exited()
        if self.died:
            self._proc.stop()


def _runners(
    n: int,
    k6_path: str,
    script_path: Path,
    artifacts: Path,
    tgt: Target,
    run_id: str,
    scenario: Scenario,
    builder: ResultBuilder,
    stats: LiveStats,
    endpoints: list[str],
    keep_samples: bool,
    hosts: list[str],
    ssh: list[str],
    remote_k6: str,
) -> tuple[AggregatorGroup, K6Group, list[Path]]:
    """N k6 processes (local, or one per SSH host), one execution segment each, folding into
    one builder."""
    lock = threading.Lock()
    members: list[K6CsvAggregator] = []
    procs: list[K6Process] = []
    summaries: list[Path] = []
    for i in range(n):
        work = artifacts / f"runner-{i}"
        work.mkdir(parents=True, exist_ok=True)
        agg = LockedAggregator(
            builder,
            endpoints,
            lock,
            live=stats,
            duration_s=scenario.duration_s,
            keep=work / "samples.csv.gz" if keep_samples else None,
        )
        env = _env(tgt, run_id, scenario)
        if i > 0:  # the backlog and the local stack's clock are set up once, by runner 0
            env.update(SL_PREFILL="0", SL_GOVERNOR="0")
        summary = work / "k6-summary.json"
        if hosts:
            procs.append(
                RemoteK6Process(
                    ssh,
                    hosts[i],
                    remote_k6,
                    script_path,
                    work,
                    env,
                    agg,
                    summary,
                    segment_args(i, n),
                )
            )
        else:
            procs.append(
                K6Process(k6_path, script_path, work, env, agg, summary, segment_args(i, n))
            )
        members.append(agg)
        summaries.append(summary)
    return AggregatorGroup(members), K6Group(procs), summaries


def _after_run(
    tgt: Target, builder: ResultBuilder, agg: K6CsvAggregator | AggregatorGroup, k6run: K6Run
) -> list[str]:
    """Run time 0, the emulator's per-second figures and the audit (local stack); audit notes."""
    if agg.start_ms is not None:  # run time 0 is k6's start mark
        run_t0 = datetime.fromtimestamp(agg.start_ms / 1000.0, UTC)
        builder.provenance = builder.provenance.model_copy(update={"started_at": run_t0})
        if tgt.metrics is not None:
            try:
                apply_to_builder(builder, tgt.metrics(), agg.start_ms / 1000.0)
            except ScalingLabError as exc:  # the k6 figures stand on their own
                builder.notes.append(f"emulator metrics not merged: {exc}")
    if tgt.audit is None or k6run.interrupted or not agg.requests:
        return []
    try:
        return tgt.audit(agg.ok_by_endpoint.get("post_events", 0))
    except Exception as exc:  # the audit is extra evidence; a failure is noted, not fatal
        return [f"audit failed: {type(exc).__name__}: {exc}"]


def _elapsed_s(agg: K6CsvAggregator | AggregatorGroup) -> float | None:
    start_ms = agg.start_ms
    return None if start_ms is None else max(0.0, time.time() - start_ms / 1000.0)


def _wait(
    proc: K6Process | K6Group,
    agg: K6CsvAggregator | AggregatorGroup,
    stats: LiveStats,
    scenario: Scenario,
    console: Console | None,
    watch: AbortWatch,
    stack_watch: Callable[[], None],
    hooks: RunHooks | None = None,
    live_run: LiveRun | None = None,
) -> K6Run:
    def judge() -> None:
        stack_watch()
        elapsed = _elapsed_s(agg)
        if elapsed is not None and watch.tripped is None and watch.check(elapsed) is not None:
            proc.stop()  # like Ctrl-C: k6 ends its iterations and writes its summary
        if (
            hooks is not None
            and hooks.check is not None
            and live_run is not None
            and watch.tripped is None
            and elapsed is not None
        ):
            tripped = hooks.check(live_run)
            if tripped is not None:
                watch.tripped = tripped
                proc.stop()

    if console is None:
        return proc.wait(judge)

    def view() -> Any:
        start_ms = agg.start_ms
        elapsed = 0.0 if start_ms is None else max(0.0, time.time() - start_ms / 1000.0)
        return render_live(
            stats.snapshot(elapsed),
            total_s=scenario.duration_s,
            target_rate_per_s=scenario.rate_at(min(elapsed, scenario.duration_s - 1e-6)),
        )

    def tick() -> None:
        lv.update(view())
        judge()

    with Live(view(), console=console, refresh_per_second=2, transient=False) as lv:
        k6run = proc.wait(tick)
        lv.update(view())
    if not console.is_terminal:
        console.print()  # the last frame has no line end when not on a terminal
    return k6run


def _finish(
    builder: ResultBuilder,
    agg: K6CsvAggregator | AggregatorGroup,
    k6run: K6Run,
    plan: LoadPlan,
    run_id: str,
    artifacts: Path,
    summary_path: Path,
    audit_notes: list[str],
    out_dir: Path,
    aborted: Aborted | None = None,
    summaries: list[Path] | None = None,
    died: list[str] | None = None,
) -> LoadRun:
    runner_summaries = summaries or [summary_path]
    failed = sorted({f for p in runner_summaries for f in _k6_failed_thresholds(p)})
    crashed = (
        not k6run.interrupted
        and aborted is None
        and k6run.exit_code not in (K6_EXIT_OK, K6_EXIT_THRESHOLDS)
    )
    died = died or []
    if died:
        # The stack's fault, not the API's figures nor the load generator's: say so first.
        problems = [f"PROBLEM: local stack process {line}" for line in died]
        builder.notes.extend(p for p in problems if p not in audit_notes)
        builder.notes.append("k6 stopped: the local stack did not survive the run")
        if agg.dropped:
            builder.notes.append(
                f"{agg.dropped} iterations dropped after the local stack broke (not the load "
                "generator's doing)"
            )
    elif agg.dropped:
        builder.notes.append(dropped_advice(agg.dropped, k6run.vus_exhausted))
    if aborted is not None:
        builder.notes.append(aborted.note())
    if k6run.request_failed_warnings:
        kinds = ", ".join(f"{k} x{n}" for k, n in k6run.failure_kinds.most_common(3))
        builder.notes.append(
            f"k6 reported {k6run.request_failed_warnings} failed requests: {kinds}"
        )
    page_note = agg.page_note()
    if page_note:
        builder.notes.append(page_note)
    builder.notes.extend(audit_notes)
    if crashed:
        tail = next(
            (ln for ln in reversed(k6run.log_tail) if "level=error" in ln),
            k6run.log_tail[-1] if k6run.log_tail else "",
        )
        builder.notes.append(f"k6 exited with code {k6run.exit_code}: {tail}")
    result = builder.build(
        run_id=run_id,
        partial=k6run.interrupted or crashed or aborted is not None or bool(died),
    )
    if aborted is not None:  # like k6's abortOnFail: the run failed its thresholds
        result.summary.thresholds_passed = False
    ours = result.summary.thresholds_passed
    if (
        aborted is None
        and len(runner_summaries) == 1  # each runner judges only its own segment
        and ours is not None
        and ours == bool(failed)
        and k6run.exit_code in (0, 99)
    ):
        result.provenance.notes.append(
            f"k6's own threshold verdict differs: k6 failed {failed or 'none'}"
        )
    path = out_dir / f"{run_id}.json"
    if crashed and agg.requests == 0:
        raise EnvironmentProblem(
            f"k6 exited with code {k6run.exit_code} before sending load: "
            f"{result.provenance.notes[-1].split(': ', 1)[-1]} (log: {artifacts / 'k6.log'})"
        )
    save_result(result, path)
    if died:
        names = ", ".join(line.split(" ", 1)[0] for line in died)
        raise EnvironmentProblem(
            f"local stack process {names} exited during the run ({died[0]}); "
            f"partial result written to {path}"
        )
    if k6run.interrupted:
        raise Interrupted(f"interrupted; partial result written to {path}")
    if crashed:
        raise EnvironmentProblem(
            f"k6 exited with code {k6run.exit_code}; partial result written to {path} "
            f"(log: {artifacts / 'k6.log'})"
        )
    return LoadRun(
        result=result,
        path=path,
        artifacts=artifacts,
        plan=plan,
        k6_exit_code=k6run.exit_code,
        k6_thresholds_failed=failed,
        aborted=aborted,
    )


def dropped_advice(dropped: int, vus_exhausted: dict[str, int]) -> str:
    """Name the cause of dropped iterations: k6's VU pool (it said so) or the load machine."""
    if vus_exhausted:
        where = ", ".join(f"{name} at {n} VUs" for name, n in sorted(vus_exhausted.items()))
        return (
            f"{dropped} iterations dropped: k6 ran out of VUs ({where}; maxVUs reached, "
            "responses slower than the pool was sized for); raise --max-vus (and --vus), "
            "not API errors"
        )
    return (
        f"{dropped} iterations dropped with VUs to spare: the load machine could not keep up "
        "(CPU or network); split the load with --runners N or use a bigger machine; "
        "not API errors"
    )
