"""Predicted against observed for an experiment: two journals (``chaos run --target model``
and a run against the local stack or staging), probe by probe and phase by phase.

Each pair shows both verdicts, both values and the observed deviation next to the predicted
one (the observed excess over the tolerance minus the predicted mean excess), and the first
second each deviated. The verdicts agree when both held or both deviated; a phase one side
did not reach (an abort) or could not read is not compared and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonObject
from scaling_lab.report.chaos_section import probe_runs, read_journal

__all__ = ["ChaosComparison", "ProbePair", "compare_journals", "read_journal"]

_JUDGED = ("held", "deviated")


@dataclass(frozen=True)
class Side:
    verdict: str
    value: float | None
    low: float | None
    high: float | None
    excess: float | None
    first_deviation_s: float | None
    deviated_in: int | None = None  # replications that deviated (of ``replications``)
    replications: int | None = None

    def show(self) -> str:
        """The verdict with how many replications deviated, e.g. ``deviated 2/10``."""
        if self.verdict == "deviated" and self.deviated_in is not None and self.replications:
            return f"deviated {self.deviated_in}/{self.replications}"
        return self.verdict


@dataclass(frozen=True)
class ProbePair:
    phase: str
    probe: str
    tolerance: str
    predicted: Side | None
    observed: Side | None

    @property
    def compared(self) -> bool:
        return (
            self.predicted is not None
            and self.observed is not None
            and self.predicted.verdict in _JUDGED
            and self.observed.verdict in _JUDGED
        )

    @property
    def agree(self) -> bool | None:
        if not self.compared:
            return None
        assert self.predicted is not None and self.observed is not None
        return self.predicted.verdict == self.observed.verdict

    @property
    def deviation_gap(self) -> float | None:
        """Observed excess minus the predicted mean excess (same units as the probe)."""
        p, o = self.predicted, self.observed
        if p is None or o is None or p.excess is None or o.excess is None:
            return None
        return o.excess - p.excess


@dataclass(frozen=True)
class ChaosComparison:
    experiment: str
    predicted_target: str
    observed_target: str
    pairs: tuple[ProbePair, ...]

    @property
    def compared(self) -> int:
        return sum(p.compared for p in self.pairs)

    @property
    def agreed(self) -> int:
        return sum(p.agree is True for p in self.pairs)

    @property
    def passed(self) -> bool:
        """Every compared verdict agrees (and at least one was compared)."""
        return self.compared > 0 and self.agreed == self.compared

    def as_json(self) -> JsonObject:
        def side(s: Side | None) -> JsonObject | None:
            return None if s is None else dict(s.__dict__)

        return {
            "experiment": self.experiment,
            "predicted_target": self.predicted_target,
            "observed_target": self.observed_target,
            "compared": self.compared,
            "agreed": self.agreed,
            "passed": self.passed,
            "pairs": [
                {
                    "phase": p.phase,
                    "probe": p.probe,
                    "tolerance": p.tolerance,
                    "predicted": side(p.predicted),
                    "observed": side(p.observed),
                    "agree": p.agree,
                    "deviation_gap": p.deviation_gap,
                }
                for p in self.pairs
            ],
        }


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _iv(v: object) -> tuple[float | None, float | None, float | None]:
    if isinstance(v, dict):
        return _num(v.get("mean")), _num(v.get("low")), _num(v.get("high"))
    x = _num(v)
    return x, x, x


def _probes(journal: JsonObject) -> dict[tuple[str, str], tuple[str, Side]]:
    """(phase, probe) -> (tolerance, side) from a journal's steady states."""
    out: dict[tuple[str, str], tuple[str, Side]] = {}
    for act, output in probe_runs(journal):
        value, low, high = _iv(output.get("value"))
        excess = _iv(output.get("excess"))[0]
        first = _iv(output.get("first_deviation_s"))[0]
        dev, reps = output.get("deviated_in"), output.get("replications")
        side = Side(
            str(output.get("verdict")),
            value,
            low,
            high,
            excess,
            first,
            dev if isinstance(dev, int) else None,
            reps if isinstance(reps, int) else None,
        )
        key = (str(output.get("phase")), str(act.get("name")))
        out[key] = (str(act.get("tolerance", "")), side)
    return out


def _target(journal: JsonObject) -> str:
    extra = journal.get("scaling_lab")
    return str(extra.get("target", "?")) if isinstance(extra, dict) else "?"


def compare_journals(predicted: JsonObject, observed: JsonObject) -> ChaosComparison:
    """Pair the probes of two journals of the same experiment."""
    exp_p, exp_o = predicted.get("experiment"), observed.get("experiment")
    title_p = exp_p.get("title") if isinstance(exp_p, dict) else None
    title_o = exp_o.get("title") if isinstance(exp_o, dict) else None
    if title_p != title_o:
        raise InputError(
            f"experiment: the journals are of different experiments ({title_p!r}, {title_o!r})"
        )
    target_p, target_o = _target(predicted), _target(observed)
    if target_p not in ("model", "?"):
        raise InputError(
            f"the first journal is of a {target_p} run, not a --target model prediction "
            "(give the prediction first, then the observation)"
        )
    if target_o == "model":
        raise InputError(
            "the second journal is a --target model prediction too; compare a prediction "
            "with a run against the local stack or a URL"
        )
    pred, obs = _probes(predicted), _probes(observed)
    keys = list(pred) + [k for k in obs if k not in pred]
    pairs = tuple(
        ProbePair(
            phase=k[0],
            probe=k[1],
            tolerance=(pred.get(k) or obs[k])[0],
            predicted=pred[k][1] if k in pred else None,
            observed=obs[k][1] if k in obs else None,
        )
        for k in keys
    )
    return ChaosComparison(str(title_p), target_p, target_o, pairs)
