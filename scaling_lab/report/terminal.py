"""Terminal rendering of a RunResult (rich renderables; no I/O here)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from scaling_lab.formatting import fmt_ms, fmt_num
from scaling_lab.result.models import RunResult

__all__ = ["render_summary", "verdict_text"]


def verdict_text(passed: bool | None) -> Text:
    if passed is None:
        return Text("n/a", style="dim")
    return Text("PASS", style="bold green") if passed else Text("FAIL", style="bold red")


def render_summary(result: RunResult) -> RenderableType:
    s = result.summary
    p = result.provenance
    head = Text.assemble(
        (f"{result.scenario.name}", "bold"),
        f"  {result.kind.value}  target={p.target}",
        f"  backend={p.backend}" if p.backend else "",
        f"  scale={p.scale:g}" if p.scale != 1 else "",
        f"  seed={p.seed}" if p.seed is not None else "",
        ("  (partial)", "yellow") if p.partial else "",
    )
    lat = Table(title="Latency", title_justify="left", show_edge=False)
    for col in ("endpoint", "requests", "p50", "p95", "p99", "max", "errors", "error rate"):
        lat.add_column(col, justify="right" if col != "endpoint" else "left")
    for name, ep in s.endpoints.items():
        lat.add_row(
            name,
            fmt_num(ep.requests),
            fmt_ms(ep.latency_ms.p50),
            fmt_ms(ep.latency_ms.p95),
            fmt_ms(ep.latency_ms.p99),
            fmt_ms(ep.latency_ms.max),
            fmt_num(ep.errors.total),
            "n/a" if ep.error_rate is None else f"{ep.error_rate:.3%}",
        )
    lat.add_row(
        "all",
        fmt_num(s.requests),
        fmt_ms(s.latency_ms.p50),
        fmt_ms(s.latency_ms.p95),
        fmt_ms(s.latency_ms.p99),
        fmt_ms(s.latency_ms.max),
        fmt_num(s.errors.total),
        "n/a" if s.error_rate is None else f"{s.error_rate:.3%}",
        style="bold",
    )
    facts = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
    facts.add_column(style="dim")
    facts.add_column()
    e = s.errors
    facts.add_row(
        "errors",
        f"throttled {e.throttled:,}  5xx {e.server:,}  timeout {e.timeout:,}  4xx {e.client:,}",
    )
    facts.add_row(
        "throughput",
        f"{fmt_num(s.throughput_per_s)} ok/s mean, "
        f"{fmt_num(s.peak_throughput_per_s)} ok/s peak second",
    )
    if s.recovery is not None:
        r = s.recovery
        facts.add_row(
            "recovery",
            Text.assemble(
                f"{r.describe()} (deadline {r.deadline_s:.0f} s after it began)  ",
                verdict_text(r.recovered),
            ),
        )
    facts.add_row(
        "Lambda",
        f"max concurrency {fmt_num(s.max_lambda_concurrency)}, cold starts "
        f"{fmt_num(s.cold_starts)}"
        + ("" if s.cold_start_fraction is None else f" ({s.cold_start_fraction:.2%})"),
    )
    facts.add_row(
        "DynamoDB",
        f"max provisioned WCU {fmt_num(s.max_ddb_provisioned_wcu)}, "
        f"throttled requests {fmt_num(s.ddb_throttled)}",
    )
    if s.throttles_by_cause:
        facts.add_row(
            "throttles by cause",
            ", ".join(f"{k} {v:,}" for k, v in s.throttles_by_cause.items() if v),
        )
    if s.max_sqs_depth is not None:
        facts.add_row("SQS", f"max depth {s.max_sqs_depth:,}")
    if s.dropped_iterations:
        facts.add_row(
            "load generator",
            Text(
                f"{s.dropped_iterations:,} iterations dropped: "
                "the load generator could not keep up",
                style="yellow",
            ),
        )
    parts: list[RenderableType] = [head, lat, facts]
    if s.thresholds:
        th = Table(title="Thresholds", title_justify="left", show_edge=False)
        for col in ("endpoint", "threshold", "observed", "verdict"):
            th.add_column(col)
        for v in s.thresholds:
            observed = fmt_num(v.observed, 4 if v.observed is not None and v.observed < 1 else 1)
            if v.window_start_s is not None:
                observed += f" (window from {v.window_start_s} s)"
            th.add_row(
                v.endpoint,
                v.expression,
                observed,
                verdict_text(v.passed),
            )
        parts.append(th)
    return Group(*parts)
