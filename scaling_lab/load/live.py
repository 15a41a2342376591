"""The live view of a running load test: elapsed/total, rate, p95 of the last 10 s, errors."""

from __future__ import annotations

from rich.text import Text

from scaling_lab.load.aggregate import LiveSnapshot

__all__ = ["render_live"]


def render_live(snap: LiveSnapshot, *, total_s: float, target_rate_per_s: float) -> Text:
    """Two lines: progress and latency, then errors by class and dropped iterations."""
    p95 = "n/a" if snap.p95_ms is None else f"{snap.p95_ms:,.1f} ms"
    n_err = sum(snap.errors.values())
    text = Text.assemble(
        (f"{min(snap.elapsed_s, total_s):,.0f}/{total_s:,.0f} s", "bold"),
        f"  rate {snap.rate_per_s:,.0f}/s (plan {target_rate_per_s:,.0f}/s)",
        f"  p95 last 10 s {p95}",
        f"  requests {snap.requests:,}\n",
        (f"errors {n_err:,}", "bold red" if n_err else "dim"),
        " (" + ", ".join(f"{k} {v:,}" for k, v in snap.errors.items()) + ")",
        ("  dropped iterations ", "dim"),
        (f"{snap.dropped_iterations:,}", "bold yellow" if snap.dropped_iterations else "dim"),
        (" (k6 could not keep up)" if snap.dropped_iterations else "", "yellow"),
    )
    return text
