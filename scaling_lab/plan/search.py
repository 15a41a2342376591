"""Find the cheapest configuration that meets a scenario's SLOs: every choice combination is
tried; within it each range is bisected (more capacity is never worse), probing as many values
at once as the executor has workers, and a candidate passes when every one of its seeds meets
the scenario's thresholds and recovery SLO, or with ``min_pass`` < 1 when at least
ceil(min_pass x N) of its N seeds do (its pass probability, k/N, is at least ``min_pass``; the
Clopper-Pearson interval of each candidate's is in the table and plan.json).

The search counts every candidate it evaluated. Its answer is the cheapest passing candidate
(standing monthly cost, then cost per 1M events), with the candidates one step below it on
each range as the evidence that it is the smallest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import yaml
from scipy.stats import beta

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonValue
from scaling_lab.plan.evaluate import Trial, TrialSpec, run_trial, standing_monthly_usd
from scaling_lab.plan.executor import Executor
from scaling_lab.plan.space import Dimension
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig
from scaling_lab.system.overrides import apply_overrides

__all__ = ["Candidate", "PlanOutcome", "pareto", "required_passes", "search"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    values: tuple[JsonValue, ...]  # one per dimension, in the plan's order
    overrides: tuple[str, ...]
    trials: tuple[Trial, ...]
    monthly_usd: float  # standing DynamoDB capacity for a month
    min_pass: float = 1.0  # the fraction of its seeds that must pass

    @property
    def passes(self) -> int:
        return sum(t.passed for t in self.trials)

    @property
    def required(self) -> int:
        """Seeds that must pass: ceil(min_pass x N)."""
        return required_passes(self.min_pass, len(self.trials))

    @property
    def passed(self) -> bool:
        return self.passes >= self.required

    @property
    def pass_probability(self) -> float:
        return self.passes / len(self.trials)

    def pass_interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Clopper-Pearson interval of the pass probability."""
        k, n, a = self.passes, len(self.trials), 1 - confidence
        low = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
        high = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
        return low, high

    def _mean(self, values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    @property
    def p95_ms(self) -> float | None:
        return self._mean([t.p95_ms for t in self.trials])

    @property
    def per_million_usd(self) -> float | None:
        return self._mean([t.per_million_usd for t in self.trials])

    @property
    def first_limit(self) -> str | None:
        """The first hard limit of the first failing seed (or of any seed)."""
        failing = [t for t in self.trials if not t.passed] or list(self.trials)
        return next((t.first_limit for t in failing if t.first_limit), None)


@dataclass
class PlanOutcome:
    scenario: str
    base_system: str
    dimensions: list[Dimension]
    seeds: list[int]
    executor: str
    candidates: list[Candidate] = field(default_factory=list)  # in evaluation order
    best: Candidate | None = None
    #: per range: the candidate one step below the best's value, which failed (the evidence)
    below: dict[str, Candidate] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    min_pass: float = 1.0

    @property
    def rule(self) -> str:
        """How a candidate passes, in words."""
        n = len(self.seeds)
        if self.min_pass >= 1:
            return f"every one of {n} seeds"
        k = required_passes(self.min_pass, n)
        return f"at least {k} of {n} seeds (P(pass) >= {self.min_pass:g})"

    @property
    def evaluated(self) -> int:
        return len(self.candidates)

    @property
    def grid_size(self) -> int:
        return math.prod(len(d.values) for d in self.dimensions)


QUOTA = "lambda.account_concurrency"


def quota_overrides(system: SystemConfig, overrides: Sequence[str]) -> tuple[str, ...]:
    """The account concurrency quota a candidate's reserved (or provisioned) concurrency needs
    when it is above the base's: "Lambda requires at least 100 unreserved concurrency" (and
    provisioned concurrency comes out of the account's) -- LAMBDA_RESERVED_URL. Nothing when
    the plan sets the quota itself or the base's suffices."""
    given = dict(o.split("=", 1) for o in overrides)
    if QUOTA in given:
        return ()
    lam = system.lambda_

    def value(path: str, default: int | None) -> int | None:
        if path not in given:
            return default
        v = yaml.safe_load(given[path])
        return int(v) if isinstance(v, int | float) else None

    reserved = value("lambda.reserved_concurrency", lam.reserved_concurrency)
    provisioned = value("lambda.provisioned_concurrency", lam.provisioned_concurrency) or 0
    need = reserved + lam.unreserved_min if reserved is not None else provisioned
    return (f"{QUOTA}={need}",) if need > lam.account_concurrency else ()


def required_passes(min_pass: float, n: int) -> int:
    """The least k of n with k / n >= min_pass (the tolerance absorbs 0.9 x 10 = 9.000...1)."""
    return max(1, math.ceil(min_pass * n - 1e-9))


def _cost_key(c: Candidate) -> tuple[float, float]:
    return (c.monthly_usd, c.per_million_usd if c.per_million_usd is not None else math.inf)


def pareto(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates no other beats on both standing cost (lower) and pass probability
    (higher), cheapest first."""
    front: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (c.monthly_usd, -c.pass_probability)):
        if not front or c.pass_probability > front[-1].pass_probability:
            front.append(c)
    return front


class _Evaluator:
    """Evaluates candidates (all seeds of all of them in one executor map), remembers them."""

    def __init__(
        self,
        scenario: Scenario,
        system: SystemConfig,
        dims: list[Dimension],
        seeds: list[int],
        executor: Executor,
        mode: str,
        progress: Progress,
        min_pass: float = 1.0,
    ) -> None:
        self.scenario, self.system, self.dims, self.seeds = scenario, system, dims, seeds
        self.executor, self.mode, self.progress = executor, mode, progress
        self.min_pass = min_pass
        self.seen: dict[str, Candidate] = {}
        self.order: list[Candidate] = []

    def overrides(self, values: tuple[JsonValue, ...]) -> tuple[str, ...]:
        own = tuple(o for d, v in zip(self.dims, values, strict=True) for o in d.overrides(v))
        return own + quota_overrides(self.system, own)

    def evaluate(self, batch: list[tuple[JsonValue, ...]]) -> list[Candidate]:
        unique = list({_key(v): v for v in batch}.values())
        todo = [v for v in unique if _key(v) not in self.seen]
        if todo:
            # a bad value is a bad input, named before any trial runs
            systems = [apply_overrides(self.system, self.overrides(v)) for v in todo]
            specs = [
                TrialSpec(self.scenario, self.system, self.overrides(v), seed, self.mode)
                for v in todo
                for seed in self.seeds
            ]
            trials = self.executor.map(run_trial, specs)
            n = len(self.seeds)
            for i, v in enumerate(todo):
                c = Candidate(
                    v,
                    self.overrides(v),
                    tuple(trials[i * n : (i + 1) * n]),
                    standing_monthly_usd(systems[i]),
                    self.min_pass,
                )
                self.seen[_key(v)] = c
                self.order.append(c)
                shown = ", ".join(f"{d.name}={x}" for d, x in zip(self.dims, v, strict=True))
                self.progress(
                    f"candidate {len(self.order)}: {shown or 'the base system'}: "
                    f"{c.passes}/{n} seeds pass"
                )
        return [self.seen[_key(v)] for v in batch]


def _key(values: tuple[JsonValue, ...]) -> str:
    return repr(values)  # values may be unhashable (a choice of a mapping)


def _probes(lo: int, hi: int, k: int) -> list[int]:
    """Up to ``k`` indices strictly between ``lo`` and ``hi``, evenly spread."""
    inside = hi - lo - 1
    if inside <= 0:
        return []
    k = min(k, inside)
    return sorted({lo + round((i + 1) * (hi - lo) / (k + 1)) for i in range(k)} - {lo, hi})


def _bisect(
    ev: _Evaluator, current: list[JsonValue], index: int, probes: int
) -> tuple[int, Candidate | None]:
    """The smallest index of range ``index`` whose candidate passes, others as in
    ``current`` (whose value at ``index`` is the range's largest and passes); and the
    candidate one step below it when that was tried and failed."""
    values = ev.dims[index].values
    lo, hi = -1, len(values) - 1  # lo: the largest index known to fail (-1: none)
    while hi - lo > 1:
        points = _probes(lo, hi, probes)
        batch = []
        for p in points:
            v = list(current)
            v[index] = values[p]
            batch.append(tuple(v))
        results = ev.evaluate(batch)
        passing = [p for p, c in zip(points, results, strict=True) if c.passed]
        new_hi = min(passing) if passing else hi
        failing = [p for p, c in zip(points, results, strict=True) if not c.passed and p < new_hi]
        lo, hi = (max(failing) if failing else lo), new_hi
    below = None
    if lo >= 0:
        v = list(current)
        v[index] = values[lo]
        below = ev.seen.get(_key(tuple(v)))
    return hi, below


def search(
    scenario: Scenario,
    system: SystemConfig,
    dims: list[Dimension],
    *,
    seeds: list[int],
    executor: Executor,
    mode: str = "fast",
    probes: int = 2,
    progress: Progress = lambda line: None,
    base_name: str | None = None,
    min_pass: float = 1.0,
) -> PlanOutcome:
    """Search ``dims`` around ``system`` for the cheapest configuration that passes (every
    seed, or with ``min_pass`` < 1 at least that fraction of them).

    ``probes``: values of a range tried at once per bisection step (their seeds run in
    parallel); the same ``probes`` and seeds give the same plan on every executor."""
    if not seeds:
        raise InputError("--seeds: at least one")
    names = [d.name for d in dims]
    if len(set(names)) != len(names):
        raise InputError("plan: a path appears in two dimensions")
    if probes < 1:
        raise InputError(f"--probes: at least 1, got {probes}")
    if not 0 < min_pass <= 1:
        raise InputError(
            f"--min-pass-probability: expected more than 0 and at most 1, got {min_pass:g}"
        )
    ev = _Evaluator(scenario, system, dims, seeds, executor, mode, progress, min_pass)
    outcome = PlanOutcome(scenario.name, base_name or system.name, dims, seeds, executor.name)
    outcome.min_pass = min_pass
    ranges = [i for i, d in enumerate(dims) if d.monotone]
    choices = [i for i, d in enumerate(dims) if not d.monotone]
    finals: list[tuple[Candidate, dict[str, Candidate]]] = []
    for combo in itertools.product(*(dims[i].values for i in choices)):
        current: list[JsonValue] = [d.values[-1] for d in dims]  # every range at its most
        for i, value in zip(choices, combo, strict=True):
            current[i] = value
        (top,) = ev.evaluate([tuple(current)])
        if not top.passed:
            continue  # not even the most capacity in the ranges passes with these choices
        below: dict[str, Candidate] = {}
        for i in ranges:
            best, under = _bisect(ev, current, i, probes)
            current[i] = dims[i].values[best]
            if under is not None:
                below[dims[i].name] = under
        (final,) = ev.evaluate([tuple(current)])
        finals.append((final, below))
    outcome.candidates = list(ev.order)
    passing = [(c, b) for c, b in finals if c.passed]
    if passing:
        outcome.best, outcome.below = min(passing, key=lambda cb: _cost_key(cb[0]))
    else:
        outcome.notes.append(
            f"no configuration in the ranges passes {outcome.rule}, not even the one with the "
            "most capacity in every range; the first limit it hit is in the table"
        )
    plan_sets_quota = any(QUOTA in d.paths for d in dims)
    raised = sorted(
        {
            int(o.split("=", 1)[1])
            for c in outcome.candidates
            for o in c.overrides
            if o.startswith(f"{QUOTA}=")
        }
        if not plan_sets_quota
        else set()
    )
    if raised:
        quota = system.lambda_.account_concurrency
        outcome.notes.append(
            f"candidates reserving more than the account quota ({quota:,}) "
            f"allows were given the quota they need ({raised[0]:,} to {raised[-1]:,}: reserved + "
            f"{system.lambda_.unreserved_min} unreserved), a Service Quotas increase to request"
        )
    if any(d.paths and "provisioned_concurrency" in p for d in dims for p in d.paths):
        outcome.notes.append(
            "provisioned concurrency is not priced (no price in the price table): compare its "
            "cost by hand"
        )
    return outcome
