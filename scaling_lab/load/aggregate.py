"""Fold k6's CSV sample stream into a ResultBuilder, line by line, with bounded memory.

k6 writes one row per built-in metric per request (14 per request). Only ``http_req_duration``
(latency, status, endpoint), ``dropped_iterations`` and the run's start mark are read; every
other row is skipped with a prefix test. Requests are counted in the second they STARTED
(sample time minus duration), relative to the start mark written at the end of ``setup()``.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from scaling_lab.result.builder import ResultBuilder, classify_status
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import ErrorClass

__all__ = ["START_METRIC", "K6CsvAggregator", "LiveSnapshot", "LiveStats", "page_note"]

START_METRIC = "scaling_lab_start_ms"
_DURATION = "http_req_duration,"
_DROPPED = "dropped_iterations,"
_START = START_METRIC + ","
_MAX_PENDING = 200_000  # rows held while waiting for the start mark (it comes first in practice)
_LIVE_WINDOW_S = 10


@dataclass(frozen=True)
class LiveSnapshot:
    """What the live view shows; times in seconds since the start mark."""

    elapsed_s: float
    requests: int
    rate_per_s: float  # responses in the last complete second
    p95_ms: float | None  # over the last 10 complete seconds
    errors: dict[str, int]
    dropped_iterations: int


@dataclass
class _Slot:
    second: int = -1
    requests: int = 0
    hist: LatencyHistogram = field(default_factory=LatencyHistogram)


class LiveStats:
    """Rolling per-second counts and latency over the last 10 s, keyed by completion second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots = [_Slot() for _ in range(_LIVE_WINDOW_S + 2)]
        self._latest = -1
        self.requests = 0
        self.errors: dict[str, int] = {c.value: 0 for c in ErrorClass}
        self.dropped = 0
        self._run_hist = LatencyHistogram()  # every response so far (abort conditions)

    def _slot(self, second: int) -> _Slot:
        slot = self._slots[second % len(self._slots)]
        if slot.second != second:
            slot.hist.release()
            slot.second, slot.requests, slot.hist = second, 0, LatencyHistogram()
        return slot

    def add(self, second: int, latency_ms: float | None, error: ErrorClass | None) -> None:
        with self._lock:
            self.requests += 1
            if error is not None:
                self.errors[error.value] += 1
            if latency_ms is not None:
                self._run_hist.record(latency_ms)
            if second < self._latest - _LIVE_WINDOW_S:
                return
            self._latest = max(self._latest, second)
            slot = self._slot(second)
            slot.requests += 1
            if latency_ms is not None:
                slot.hist.record(latency_ms)

    def add_dropped(self, n: int) -> None:
        with self._lock:
            self.dropped += n

    def so_far(self, aggregation: str, q: float | None) -> float | None:
        """A k6 aggregate over every response so far: ``rate`` (failed share), ``count``,
        or a latency aggregation in ms; None while nothing was measured."""
        with self._lock:
            if aggregation == "rate":
                failed = sum(self.errors.values())
                return failed / self.requests if self.requests else None
            if aggregation in ("count", "value"):
                return float(self.requests)
            return self._run_hist.aggregate(aggregation, q) if self._run_hist.count else None

    def snapshot(self, elapsed_s: float) -> LiveSnapshot:
        with self._lock:
            now = int(elapsed_s)
            window = LatencyHistogram()
            rate = 0
            for slot in self._slots:
                if now - _LIVE_WINDOW_S <= slot.second < now:
                    window.merge(slot.hist)
                if slot.second == now - 1:
                    rate = slot.requests
            p95 = window.percentile_ms(95)
            window.release()
            return LiveSnapshot(
                elapsed_s=elapsed_s,
                requests=self.requests,
                rate_per_s=float(rate),
                p95_ms=p95,
                errors=dict(self.errors),
                dropped_iterations=self.dropped,
            )


def page_note(inbox_pages: dict[int, LatencyHistogram]) -> str | None:
    """``GET /v1/inbox`` p95/p99 per cursor page (successful reads), for the run's notes."""
    if not inbox_pages:
        return None
    parts = [
        f"page {page}: p95 {h.percentile_ms(95):.1f} ms, p99 {h.percentile_ms(99):.1f} ms "
        f"(n={h.count})"
        for page, h in sorted(inbox_pages.items())
    ]
    return "get_inbox latency by cursor page: " + "; ".join(parts)


class K6CsvAggregator:
    """Feed k6 ``--out csv`` text (any chunking); results go to ``builder`` and ``live``."""

    def __init__(
        self,
        builder: ResultBuilder,
        endpoints: Iterable[str],
        *,
        live: LiveStats | None = None,
        start_ms: float | None = None,
        duration_s: float | None = None,
        seal_lag_s: float = 60.0,
    ) -> None:
        """``duration_s``: start times past the end (clock skew of a few ms between the start
        mark and k6's executors) are counted in the last second. Seconds that started more
        than ``seal_lag_s`` before the newest request are sealed in the builder (their
        histograms kept encoded): requests rarely finish later than the request timeout."""
        self.builder = builder
        self._last_t = None if duration_s is None else max(0.0, duration_s - 1e-6)
        self.endpoints = frozenset(endpoints)
        self.live = live
        self.start_ms = start_ms
        self.rows = 0
        self.requests = 0
        self.dropped = 0
        self.ok_by_endpoint: dict[str, int] = dict.fromkeys(self.endpoints, 0)
        self._tail = ""
        self._seal_lag_s = seal_lag_s
        self._newest_t = 0.0
        self._pending: list[str] = []
        self._status_idx = 5
        self._scenario_idx = 4
        self._extra_idx = 6
        self.inbox_pages: dict[int, LatencyHistogram] = {}  # GET /v1/inbox latency by cursor page
        self._classes: dict[str, ErrorClass | None] = {}

    # -- input ------------------------------------------------------------------------------
    def feed(self, chunk: str) -> None:
        if not chunk:
            return
        lines = (self._tail + chunk).split("\n")
        self._tail = lines.pop()
        self._lines(lines)
        if self._newest_t > self._seal_lag_s:
            self.builder.seal_before(self._newest_t - self._seal_lag_s)

    def finish(self) -> None:
        """End of stream: fold the last line and anything waiting for the start mark."""
        if self._tail:
            self._lines([self._tail])
            self._tail = ""
        if self._pending:
            if self.start_ms is None:  # no mark (setup failed early): first request starts at 0
                self.start_ms = min(self._start_of(line) for line in self._pending)
            pending, self._pending = self._pending, []
            self._lines(pending)

    # -- parsing ----------------------------------------------------------------------------
    def _header(self, line: str) -> None:
        cols = line.rstrip("\r").split(",")
        missing = [c for c in ("status", "scenario") if c not in cols]
        if missing:
            raise ValueError(f"its header has no {' or '.join(map(repr, missing))} column")
        self._status_idx = cols.index("status")
        self._scenario_idx = cols.index("scenario")
        self._extra_idx = cols.index("extra_tags") if "extra_tags" in cols else -1

    @staticmethod
    def _split(line: str) -> list[str]:
        if '"' in line:  # a quoted field (a tag value with a comma): let csv handle it
            return next(csv.reader([line]))
        return line.split(",")

    def _start_of(self, line: str) -> float:
        parts = self._split(line)
        return float(parts[1]) - float(parts[2])

    def _classify(self, status: str) -> ErrorClass | None:
        try:
            return self._classes[status]
        except KeyError:
            code = int(status) if status.isdigit() else 0
            cls = self._classes[status] = classify_status(code)
            return cls

    def _page(self, parts: list[str], latency_ms: float) -> None:
        tags = parts[self._extra_idx] if 0 <= self._extra_idx < len(parts) else ""
        for tag in tags.split("&"):
            if tag.startswith("page=") and tag[5:].isdigit():
                page = int(tag[5:])
                h = self.inbox_pages.get(page)
                if h is None:
                    h = self.inbox_pages[page] = LatencyHistogram()
                h.record(latency_ms)
                return

    def page_note(self) -> str | None:
        """``GET /v1/inbox`` p95/p99 per cursor page (successful reads), for the run's notes."""
        return page_note(self.inbox_pages)

    def _lines(self, lines: list[str]) -> None:
        record = self.builder.record
        offered = self.builder.offered
        endpoints = self.endpoints
        live = self.live
        s_idx, e_idx = self._status_idx, self._scenario_idx
        last_t = self._last_t
        newest = self._newest_t
        for line in lines:
            self.rows += 1
            if line.startswith(_DURATION):
                if self.start_ms is None:
                    if len(self._pending) < _MAX_PENDING:
                        self._pending.append(line)
                    continue
                parts = self._split(line)
                endpoint = parts[e_idx]
                if endpoint not in endpoints:
                    continue  # setup() traffic or a foreign scenario
                end_ms = float(parts[1])
                latency_ms = float(parts[2])
                status = parts[s_idx]
                error = self._classify(status)
                t_s = (end_ms - latency_ms - self.start_ms) / 1000.0
                if t_s < 0:
                    t_s = 0.0
                elif last_t is not None and t_s > last_t:
                    t_s = last_t
                got = None if (error is ErrorClass.TIMEOUT) else latency_ms
                record(t_s, endpoint, got, error)
                if t_s > newest:
                    newest = t_s
                offered(t_s, 1)
                self.requests += 1
                if error is None:
                    self.ok_by_endpoint[endpoint] += 1
                    if endpoint == "get_inbox":
                        self._page(parts, latency_ms)
                if live is not None:
                    live.add(int((end_ms - self.start_ms) // 1000), got, error)
            elif line.startswith(_DROPPED):
                parts = self._split(line)
                n = float(parts[2])
                if self.start_ms is None:
                    if len(self._pending) < _MAX_PENDING:
                        self._pending.append(line)
                    continue
                t_s = max(0.0, (float(parts[1]) - self.start_ms) / 1000.0)
                if last_t is not None:
                    t_s = min(t_s, last_t)
                self.builder.figure(t_s, "dropped_iterations", n)
                self.dropped += int(n)
                if live is not None:
                    live.add_dropped(int(n))
            elif line.startswith(_START):
                self.start_ms = float(self._split(line)[2])
                if self._pending:
                    pending, self._pending = self._pending, []
                    self._lines(pending)
            elif line.startswith("metric_name,"):
                self._header(line)
                s_idx, e_idx = self._status_idx, self._scenario_idx
        self._newest_t = max(self._newest_t, newest)
