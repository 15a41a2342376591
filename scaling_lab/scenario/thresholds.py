"""k6 threshold grammar (`p(95)<100`, `rate<0.001`, `max<=5000`): parse and evaluate, purely.

Grammar follows k6's ``metrics/thresholds_parser.go``: ``<aggregation> <operator> <value>`` where
aggregation is one of ``avg min max med count rate value p(N)`` (0 <= N <= 100), operator one of
``> >= <= < == === !=``, and value a number. Whitespace between tokens is allowed.
https://grafana.com/docs/k6/latest/using-k6/thresholds/#threshold-syntax

scaling-lab adds one suffix k6 lacks: ``p(95)<100 over 10s`` holds only when it holds in every
window of 10 consecutive seconds of the per-second series, so a short spike is not averaged away
by a long run (asked of k6 in grafana/k6#2379 and #1136). Windows are whole seconds, at least 1.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from scaling_lab.scenario.durations import parse_duration

__all__ = ["MAX_WINDOW_S", "Threshold", "ThresholdSyntaxError", "evaluate", "parse_threshold"]

_AGGREGATIONS = ("avg", "min", "max", "med", "count", "rate", "value")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "===": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_EXPR = re.compile(
    r"^\s*(?P<agg>[a-z]+(?:\(\s*(?P<arg>[0-9]*\.?[0-9]+)\s*\))?)\s*"
    r"(?P<op>===|==|!=|>=|<=|>|<)\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_OVER = re.compile(r"^(?P<expr>.*?)\s+over\s+(?P<window>\S+)\s*$")
MAX_WINDOW_S = 86_400.0  # a day: longer than any run the engines execute


class ThresholdSyntaxError(ValueError):
    """A threshold expression that k6 would reject."""


@dataclass(frozen=True)
class Threshold:
    """One parsed threshold, e.g. ``p(95)<100``."""

    source: str
    aggregation: str  # avg|min|max|med|count|rate|value|p
    percentile: float | None  # N for p(N)
    operator: str
    value: float
    window_s: int | None = None  # ``over 10s``: judged on every window of this many seconds

    @property
    def method(self) -> str:
        """The aggregation as k6 writes it: ``p(95)``, ``rate``."""
        if self.aggregation == "p":
            n = self.percentile
            assert n is not None
            return f"p({n:g})"
        return self.aggregation

    @property
    def is_latency(self) -> bool:
        """True when it applies to a trend (latency) rather than a rate or counter."""
        return self.aggregation in ("avg", "min", "max", "med", "p")

    @property
    def k6_expression(self) -> str:
        """The expression without its window, as k6 reads it: ``p(95)<100``."""
        m = _OVER.match(self.source)
        return self.source if m is None else m.group("expr").strip()

    def holds(self, observed: float) -> bool:
        """Whether the observed aggregate satisfies the threshold (k6: pass)."""
        return _OPERATORS[self.operator](observed, self.value)

    def worse(self, a: float, b: float) -> bool:
        """Whether ``a`` is further on the failing side than ``b`` (the worse of two windows)."""
        if self.operator in ("<", "<="):
            return a > b
        if self.operator in (">", ">="):
            return a < b
        return not self.holds(a) and self.holds(b)


def _window_s(text: str, window: str) -> int:
    try:
        seconds = parse_duration(window)
    except ValueError:
        raise ThresholdSyntaxError(
            f"{text!r}: 'over {window}' is not a duration; expected e.g. 'over 10s' or 'over 1m'"
        ) from None
    if seconds != int(seconds) or not 1 <= seconds <= MAX_WINDOW_S:
        raise ThresholdSyntaxError(
            f"{text!r}: the window must be whole seconds between 1s and 24h, got {window!r}"
        )
    return int(seconds)


def parse_threshold(text: str) -> Threshold:
    """Parse one k6 threshold expression (with an optional ``over <duration>`` window);
    raise ThresholdSyntaxError naming what is wrong."""
    if not isinstance(text, str):
        raise ThresholdSyntaxError(f"expected a k6 threshold like 'p(95)<100', got {text!r}")
    over = _OVER.match(text)
    if over is not None:
        base = _parse_k6(text, over.group("expr"))
        return Threshold(
            text,
            base.aggregation,
            base.percentile,
            base.operator,
            base.value,
            _window_s(text, over.group("window")),
        )
    return _parse_k6(text, text)


def _parse_k6(text: str, expr: str) -> Threshold:
    m = _EXPR.match(expr)
    if m is None:
        raise ThresholdSyntaxError(
            f"{text!r} is not a k6 threshold; expected '<aggregation> <operator> <value>' "
            "such as 'p(95)<100' or 'rate<0.001'"
        )
    agg, arg = m.group("agg"), m.group("arg")
    if arg is not None:
        if not agg.startswith("p("):
            raise ThresholdSyntaxError(f"{text!r}: only p(N) takes an argument")
        n = float(arg)
        if not 0 <= n <= 100:
            raise ThresholdSyntaxError(f"{text!r}: percentile must be between 0 and 100")
        return Threshold(text, "p", n, m.group("op"), float(m.group("value")))
    if agg not in _AGGREGATIONS:
        allowed = ", ".join((*_AGGREGATIONS, "p(N)"))
        raise ThresholdSyntaxError(
            f"{text!r}: unknown aggregation {agg!r}; expected one of {allowed}"
        )
    return Threshold(text, agg, None, m.group("op"), float(m.group("value")))


def evaluate(
    threshold: Threshold, aggregate: Callable[[str, float | None], float | None]
) -> bool | None:
    """Evaluate a threshold against a metric.

    ``aggregate(method, percentile)`` returns the observed value (``method`` is the aggregation
    name, ``percentile`` the N of p(N) or None). Returns None when the figure is unobservable
    (null), never a silent pass.
    """
    observed = aggregate(threshold.aggregation, threshold.percentile)
    if observed is None or (isinstance(observed, float) and math.isnan(observed)):
        return None
    return threshold.holds(observed)
