"""Comparison output: a rich table for the terminal and Markdown for reports."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from scaling_lab.compare.core import Comparison, Line, Verdict
from scaling_lab.formatting import fmt_value

__all__ = ["comparison_markdown", "comparison_table"]

_STYLE = {
    Verdict.PASS: "bold green",
    Verdict.FAIL: "bold red",
    Verdict.INFO: "dim",
    Verdict.NULL: "dim",
}


def _delta(ln: Line) -> str:
    if ln.delta is None:
        return ""
    rel = "" if ln.delta_rel is None else f" ({ln.delta_rel:+.0%})"
    rank = "" if ln.rank is None else f", at predicted p{ln.rank:.1f}"
    z = ln.z
    surprise = ""
    if z is not None and ln.p_value is not None:
        surprise = f", z {z:+.1f} (p {ln.p_value:.2g})" if math.isfinite(z) else ", z inf"
    return f"{ln.delta:+,.1f}{rel}{rank}{surprise}"


def _allowed(ln: Line) -> str:
    if ln.tolerance is None:
        return ""
    if ln.interval is not None:
        iv = ln.interval
        return (
            f"{fmt_value(iv.low, ln.unit)} .. {fmt_value(iv.high, ln.unit)} "
            f"(n={iv.n}, {ln.tolerance.describe_interval()})"
        )
    if ln.allowed is None:
        return ""
    return f"±{fmt_value(ln.allowed, ln.unit)} ({ln.tolerance.describe()})"


def comparison_table(cmp: Comparison, *, only_gated: bool = False) -> Table:
    t = Table(title="Predicted vs observed", title_justify="left", show_edge=False)
    t.caption = cmp.describe()
    for col in ("figure", "phase", "predicted", "observed", "delta", "agrees if", "verdict"):
        t.add_column(col, justify="right" if col in ("predicted", "observed", "delta") else "left")
    for ln in cmp.lines:
        if only_gated and ln.tolerance is None:
            continue
        if ln.verdict is Verdict.NULL and ln.predicted is None and ln.observed is None:
            continue
        t.add_row(
            ln.figure,
            ln.phase,
            fmt_value(ln.predicted, ln.unit),
            fmt_value(ln.observed, ln.unit),
            _delta(ln),
            _allowed(ln),
            Text(ln.verdict.value, style=_STYLE[ln.verdict]),
        )
    return t


def comparison_markdown(cmp: Comparison) -> str:
    p, o = cmp.predicted, cmp.observed
    lines = [
        f"# {o.scenario.name}: predicted vs observed",
        "",
        f"- predicted: `{p.run_id}` ({p.provenance.target}, mode {p.provenance.mode or 'n/a'}, "
        f"seed {p.provenance.seed})",
        f"- observed: `{o.run_id}` ({o.provenance.target}, "
        f"backend {o.provenance.backend or 'n/a'})",
        f"- scale: x{o.scenario.scale:g}",
        f"- verdict: **{'PASS' if cmp.passed else 'FAIL'}** "
        f"({len(cmp.failed)} figure(s) out of tolerance), {cmp.describe()}",
        "",
    ]
    lines += [f"> {n}" for n in cmp.notes]
    lines += [
        "",
        "| figure | phase | predicted | observed | delta | agrees if | verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for ln in cmp.lines:
        if ln.predicted is None and ln.observed is None:
            continue
        lines.append(
            f"| {ln.figure} | {ln.phase} | {fmt_value(ln.predicted, ln.unit)} | "
            f"{fmt_value(ln.observed, ln.unit)} | {_delta(ln)} | {_allowed(ln)} | "
            f"{ln.verdict.value} |"
        )
    lines.append("")
    lines.append("`null` means the figure is not observable on that side; it is not compared.")
    return "\n".join(lines) + "\n"
