"""The per-second series as CSV, with Locust's ``*_stats_history.csv`` columns first.

One row per second per endpoint plus an ``Aggregated`` row per second (Locust's name for all
requests). Percentile columns are that second's, from its HDR histogram; the ``Total ...``
columns cover the run so far, as Locust's do; empty cells mean the
figure was not observable (the result's null), never 0. scaling-lab's own per-second figures
(error classes, Lambda, DynamoDB, SQS, dropped iterations) follow Locust's columns.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from scaling_lab.aws.metrics import RESULT_FIGURES
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import EndpointSecond, ErrorCounts, RunResult, SecondSample

__all__ = ["HEADER_MARKER", "LOCUST_COLUMNS", "series_csv", "write_series_csv"]

PERCENTILES = (50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100)
LOCUST_COLUMNS = [
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    *[f"{p:g}%" for p in PERCENTILES],
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total Average Response Time",
    "Total Min Response Time",
    "Total Max Response Time",
    "Total Average Content Size",
]
EXTRA_COLUMNS = [
    "t_s",
    "offered",
    "throttled",
    "server_errors",
    "timeouts",
    "client_errors",
    *RESULT_FIGURES,
]
HEADER_MARKER = f"{LOCUST_COLUMNS[-1]},{EXTRA_COLUMNS[0]}"  # Locust's columns, then ours
_ROUTES = {
    "post_events": ("POST", "/v1/events"),
    "get_inbox": ("GET", "/v1/inbox"),
    "ack": ("POST", "/v1/events/{id}/ack"),
}
_FIGURES = RESULT_FIGURES


def _cell(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _hist(parts: list[EndpointSecond]) -> LatencyHistogram | None:
    merged = LatencyHistogram()
    for es in parts:
        if es.hdr is not None:
            merged.merge(LatencyHistogram.decode(es.hdr))
        elif es.requests > es.errors.timeout:
            return None  # responses without a kept histogram: unobservable
    return merged


def _row(
    start_s: float,
    s: SecondSample,
    kind: str,
    name: str,
    parts: list[EndpointSecond],
    totals: dict[str, int],
    run_hist: dict[str, LatencyHistogram | None],
) -> list[str]:
    requests = sum(p.requests for p in parts)
    errors = ErrorCounts()
    for p in parts:
        errors = errors.add(p.errors)
    key = name
    totals[key + ":n"] = totals.get(key + ":n", 0) + requests
    totals[key + ":f"] = totals.get(key + ":f", 0) + errors.total
    h = _hist(parts)
    pcts = [_cell(h.percentile_ms(p)) if h is not None and h.count else "" for p in PERCENTILES]
    # Locust's "Total ..." columns: the whole run so far
    total_h = run_hist.setdefault(key, LatencyHistogram())
    if h is None:
        run_hist[key] = None
    elif total_h is not None:
        total_h.merge(h)
    total_h = run_hist[key]
    stats = ["", "", "", ""]
    if total_h is not None and total_h.count:
        stats = [
            _cell(total_h.percentile_ms(50)),
            _cell(total_h.mean_ms()),
            _cell(total_h.min_ms()),
            _cell(total_h.max_ms()),
        ]
    figures = [getattr(s, f) for f in _FIGURES]
    return [
        str(int(start_s) + s.t_s),
        "",  # Locust's user count: an open-model run has no fixed number of users
        kind,
        name,
        str(requests),
        str(errors.total),
        *pcts,
        str(totals[key + ":n"]),
        str(totals[key + ":f"]),
        *stats,
        "",
        str(s.t_s),
        _cell(s.offered) if name == "Aggregated" else "",
        str(errors.throttled),
        str(errors.server),
        str(errors.timeout),
        str(errors.client),
        *[_cell(v) if name == "Aggregated" else "" for v in figures],
    ]


def series_csv(result: RunResult) -> str:
    """The CSV text of ``result``'s per-second series (header + rows)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*LOCUST_COLUMNS, *EXTRA_COLUMNS])
    start_s = result.provenance.started_at.timestamp()
    totals: dict[str, int] = {}
    run_hist: dict[str, LatencyHistogram | None] = {}
    endpoints = sorted({ep for s in result.series for ep in s.endpoints})
    for s in result.series:
        for ep in endpoints:
            kind, path = _ROUTES.get(ep, ("", ep))
            parts = [s.endpoints[ep]] if ep in s.endpoints else []
            w.writerow(_row(start_s, s, kind, path, parts, totals, run_hist))
        w.writerow(_row(start_s, s, "", "Aggregated", list(s.endpoints.values()), totals, run_hist))
    return buf.getvalue()


def write_series_csv(result: RunResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(series_csv(result), encoding="utf-8")
    return path
