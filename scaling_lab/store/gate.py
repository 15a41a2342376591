"""The regression gate as a workflow: which runs are compared, with which run-to-run noise.

``regression_gate(store, candidates, baselines)`` resolves the run references, takes the
scenario's baseline when none is named, refuses unlike runs (unless allowed), estimates the
run-to-run noise from comparable history and returns the report with what it chose, so a
caller (the CLI, CI glue, a notebook) only renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scaling_lab.errors import InputError
from scaling_lab.result.models import RunResult
from scaling_lab.store.base import HistoryStore
from scaling_lab.store.regress import RegressionReport, detect_regressions, run_noise_from_history

__all__ = [
    "HISTORY_KEEP",
    "HISTORY_MIN_RUNS",
    "HISTORY_SCAN",
    "GateOutcome",
    "comparable_history",
    "regression_gate",
    "unlike",
]

# Comparable history: of the scenario's newest HISTORY_SCAN runs of the same kind, the newest
# HISTORY_KEEP with the same target, backend, system, scenario and system definitions and not
# interrupted. Ten runs bound the time a store lookup takes and keep the noise estimate recent
# (a machine or a backend changes over weeks); the forty scanned leave room for runs of other
# targets in between. HISTORY_MIN_RUNS is the fewest from which a spread means anything.
HISTORY_SCAN = 40
HISTORY_KEEP = 10
HISTORY_MIN_RUNS = 3


@dataclass
class GateOutcome:
    report: RegressionReport
    baselines: list[RunResult]
    candidates: list[RunResult]
    history_runs: int  # comparable runs the noise was estimated from (0: none used)
    unlike: list[str] = field(default_factory=list)  # non-empty only when allowed


def unlike(base: RunResult, cand: RunResult) -> list[str]:
    """How two results differ in what makes their figures comparable (empty: alike)."""
    diffs = []
    pairs = (
        ("kind", base.kind.value, cand.kind.value),
        ("target", base.provenance.target, cand.provenance.target),
        ("backend", base.provenance.backend, cand.provenance.backend),
        ("system", base.system.name, cand.system.name),
        ("scale", f"x{base.scenario.scale:g}", f"x{cand.scenario.scale:g}"),
    )
    for name, b, c in pairs:
        if b != c:
            diffs.append(f"{name} {b} vs {c}")
    if not diffs and base.system != cand.system:
        diffs.append(f"system {base.system.name!r} differs in its settings")
    return diffs


def comparable_history(
    store: HistoryStore, like: RunResult, *, exclude: Sequence[str] = ()
) -> list[RunResult]:
    """Stored runs that are reruns of ``like`` (see HISTORY_SCAN), newest first, without the
    run ids in ``exclude`` (the candidates: a regression must not widen its own noise)."""
    skip = set(exclude)
    peers = [
        r
        for r in store.runs(scenario=like.scenario.name, kind=like.kind.value, limit=HISTORY_SCAN)
        if r.run_id not in skip
        and r.target == like.provenance.target
        and r.backend == like.provenance.backend
        and r.system == like.system.name
        and not r.partial
    ][:HISTORY_KEEP]
    comparable = []
    for peer in peers:
        try:
            loaded = store.load(peer.run_id)
        except InputError:
            continue  # stored under an older schema: not comparable
        if loaded.scenario == like.scenario and loaded.system == like.system:
            comparable.append(loaded)
    return comparable


def _resolve(store: HistoryStore, ref: str) -> RunResult:
    from scaling_lab.store import resolve_result

    return resolve_result(ref, store)


def regression_gate(
    store: HistoryStore,
    candidates: Sequence[str],
    baselines: Sequence[str] = (),
    *,
    threshold: float = 0.05,
    confidence: float = 0.95,
    allow_unlike: bool = False,
) -> GateOutcome:
    """Compare the candidate run(s) with the baseline run(s) (default: the scenario's baseline
    in ``store``). Several runs on a side are pooled. Raises InputError for unlike runs unless
    ``allow_unlike``, for a run that is its own baseline, and when no baseline is known."""
    if not candidates:
        raise InputError("regress: name at least one candidate run")
    cands = [_resolve(store, ref) for ref in candidates]
    first = cands[0]
    if baselines:
        bases = [_resolve(store, ref) for ref in baselines]
    else:
        b = store.baseline_for(first.scenario.name, first.kind.value)
        if b is None:
            raise InputError(
                f"no baseline for scenario {first.scenario.name!r} ({first.kind.value}) in "
                f"{store.location}; set one with `scaling-lab baseline set RUN` or pass "
                "--baseline"
            )
        bases = [store.load(b.run_id)]
    for side, runs in (("candidate", cands), ("--baseline", bases)):
        ids = [r.run_id for r in runs]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:  # pooled twice, it would count as two reruns' worth of evidence
            raise InputError(f"regress: {side} run {', '.join(twice)} given twice; give it once")
    cand_ids = {r.run_id for r in cands}
    for base in bases:
        if base.run_id in cand_ids:
            raise InputError(f"run {base.run_id} is its own baseline; name another with --baseline")
    differences: list[str] = []
    for base in bases:
        for cand in cands:
            differences += [d for d in unlike(base, cand) if d not in differences]
    if differences and not allow_unlike:
        raise InputError(
            f"regress: {', '.join(sorted(cand_ids))} and baseline "
            f"{', '.join(r.run_id for r in bases)} are not comparable ("
            + "; ".join(differences)
            + "); --allow-unlike compares them anyway"
        )
    history = comparable_history(store, first, exclude=sorted(cand_ids))
    noise = source = None
    if len(history) >= HISTORY_MIN_RUNS:
        noise = run_noise_from_history(history, min_runs=HISTORY_MIN_RUNS)
        source = f"history: {len(history)} comparable runs"
    report = detect_regressions(
        bases,
        cands,
        threshold=threshold,
        confidence=confidence,
        run_noise=noise,
        noise_source=source,
    )
    return GateOutcome(
        report=report,
        baselines=bases,
        candidates=cands,
        history_runs=len(history) if noise is not None else 0,
        unlike=differences,
    )
