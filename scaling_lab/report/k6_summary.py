"""A k6-style end-of-run summary of a RunResult (k6's text, from the merged histograms).

k6 prints its summary per process; with several runners each would judge only its own
segment. This one is computed from the result, so it covers every runner and matches what
``check`` judges.
"""

from __future__ import annotations

from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import RunResult

__all__ = ["k6_style_summary"]

_WIDTH = 44


def _ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.2f}ms"


def _line(name: str, value: str) -> str:
    dots = "." * max(3, _WIDTH - len(name))
    return f"    {name}{dots}: {value}"


def k6_style_summary(result: RunResult) -> str:
    s = result.summary
    duration = max(1.0, result.scenario.duration_s)
    lines = ["", "  THRESHOLDS", ""]
    for v in s.thresholds:
        mark = {True: "✓", False: "✗", None: "?"}[v.passed]
        observed = "n/a" if v.observed is None else f"{v.observed:.4g}"
        lines.append(f"    {v.endpoint}")
        lines.append(f"    {mark} '{v.expression}' {observed}")
    if not s.thresholds:
        lines.append("    (none)")
    lines += ["", "  TOTAL RESULTS", "", "    HTTP"]
    for ep, es in sorted(s.endpoints.items()):
        h = LatencyHistogram.decode(es.hdr) if es.hdr else None
        if h is not None and h.count:
            stats = (
                f"avg={_ms(h.mean_ms())} min={_ms(h.min_ms())} med={_ms(h.percentile_ms(50))} "
                f"max={_ms(h.max_ms())} p(90)={_ms(h.percentile_ms(90))} "
                f"p(95)={_ms(h.percentile_ms(95))} p(99)={_ms(h.percentile_ms(99))}"
            )
        else:
            stats = "n/a"
        lines.append(_line(f"http_req_duration{{scenario:{ep}}}", stats))
    failed = s.errors.total
    rate = f"{failed / s.requests:.2%}" if s.requests else "n/a"
    lines.append(_line("http_req_failed", f"{rate}  {failed} out of {s.requests}"))
    lines.append(_line("http_reqs", f"{s.requests}  {s.requests / duration:.2f}/s"))
    if s.dropped_iterations is not None:
        lines.append(_line("dropped_iterations", f"{s.dropped_iterations}"))
    if result.provenance.partial:
        lines += ["", "  partial result: the run was stopped early"]
    return "\n".join(lines) + "\n"
