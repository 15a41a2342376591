"""verify on a terminal: a listener that prints each stage, and the verdict table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scaling_lab.compare import Comparison, comparison_table
from scaling_lab.result.models import RecoveryVerdict, RunResult
from scaling_lab.verify.workflow import VerifyOutcome, VerifyPlan

__all__ = ["ConsoleListener", "verdict_table"]


class ConsoleListener:
    """Progress on ``err`` (stages, summaries, notes), comparison tables on ``out``."""

    def __init__(self, out: Console, err: Console) -> None:
        self.out, self.err = out, err

    def planned(self, plan: VerifyPlan) -> None:
        sc = plan.scenario
        self.err.print(
            f"[bold]verify[/bold] {sc.name}: peak {sc.peak_rate:,.0f} req/s "
            f"(scale x{plan.scale:g} of {plan.base_peak_rate_per_s:,.0f}), "
            f"{sc.duration_s:.0f} s, target {plan.target}, system {plan.system.name}; "
            f"results in {plan.run_dir}"
        )

    def stage(self, title: str) -> None:
        self.err.rule(title)

    def note(self, text: str) -> None:
        self.err.print(f"[yellow]note:[/yellow] {text}", highlight=False)

    def result(self, result: RunResult) -> None:
        from scaling_lab.report.terminal import render_summary

        self.err.print(render_summary(result))

    def judged(self, label: str, cmp: Comparison, *, final: bool) -> None:
        self.err.print(f"[bold]{'PASS' if cmp.passed else 'FAIL'}[/bold] {label}: {cmp.describe()}")
        self.out.print(comparison_table(cmp, only_gated=True))

    def calibrated(self, key: str, source: str) -> None:
        self.err.print(f"[green]calibrated[/green] {key}: {source}")


def _recovery_cell(r: RecoveryVerdict | None) -> Text:
    from scaling_lab.report.terminal import verdict_text

    if r is None:
        return Text("n/a", style="dim")
    # short: "35 s" into the spike, "spike end +18 s" (not within it), or "never"
    if r.recovery_s is None:
        v = "never"
    elif r.spike_duration_s is not None and r.recovery_s >= r.spike_duration_s:
        v = f"spike end +{r.recovery_s - r.spike_duration_s:.0f} s"
    else:
        v = f"{r.recovery_s:.0f} s"
    return Text.assemble(f"{v} ", verdict_text(r.recovered))


def verdict_table(outcome: VerifyOutcome) -> Table:
    """Predicted next to observed for what the story promises, and both verdicts."""
    from scaling_lab.formatting import fmt_ms
    from scaling_lab.report.terminal import verdict_text

    cmp, first = outcome.final, outcome.first
    t = Table(title="Verdict", title_justify="left", show_edge=False)
    for col in ("check", "predicted", "observed", "agree"):
        t.add_column(col)
    ps, os_ = outcome.predicted.summary, outcome.observed.summary

    def agree(figure: str, phase: str = "overall") -> Text:
        ln = cmp.line(figure, phase)
        if ln is None:
            return Text("")
        return Text(
            ln.verdict.value, style={"pass": "green", "fail": "red"}.get(ln.verdict.value, "dim")
        )

    if ps.recovery is not None or os_.recovery is not None:
        t.add_row(
            "recovery within deadline",
            _recovery_cell(ps.recovery),
            _recovery_cell(os_.recovery),
            agree("recovery_s"),
        )
    for name in sorted(set(ps.endpoints) | set(os_.endpoints)):
        pe, oe = ps.endpoints.get(name), os_.endpoints.get(name)
        t.add_row(
            f"{name} p95",
            fmt_ms(pe.latency_ms.p95 if pe else None),
            fmt_ms(oe.latency_ms.p95 if oe else None),
            agree("p95", f"overall:{name}"),
        )
    throttled = (f"{ps.errors.throttled:,}", f"{os_.errors.throttled:,}")
    t.add_row("throttled (429)", *throttled, agree("throttled"))
    t.add_row(
        "thresholds", verdict_text(ps.thresholds_passed), verdict_text(os_.thresholds_passed), ""
    )

    def word(c: Comparison) -> Text:
        return Text("PASS" if c.passed else "FAIL", style="bold green" if c.passed else "bold red")

    if not outcome.calibrated:
        t.add_row(f"model vs observation ({outcome.label})", "", "", word(first))
    else:
        t.add_row("model vs observation, as given", "", "", word(first))
        t.add_row(f"model vs observation, {outcome.label}", "", "", word(cmp))
    t.caption = cmp.describe()
    return t
