"""Latency histograms: a thin wrapper over HdrHistogram (hdrhistogram on PyPI).

Values are recorded in microseconds (1 us .. 1 h, 3 significant digits) and reported in
milliseconds. Percentiles always come from a histogram, never from a list of raw samples.
"""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

__all__ = ["LatencyHistogram"]

_LOWEST_US = 1
_HIGHEST_US = 3_600_000_000
_SIG_FIGS = 3


class LatencyHistogram:
    """Record latencies in ms; read p50/p95/p99/max in ms; merge; encode for storage."""

    __slots__ = ("_h",)

    def __init__(self, hist: HdrHistogram | None = None) -> None:
        self._h = hist if hist is not None else HdrHistogram(_LOWEST_US, _HIGHEST_US, _SIG_FIGS)

    def record(self, latency_ms: float, count: int = 1) -> None:
        us = int(latency_ms * 1000.0 + 0.5)
        if us < _LOWEST_US:
            us = _LOWEST_US
        elif us > _HIGHEST_US:
            us = _HIGHEST_US
        self._h.record_value(us, count)

    def merge(self, other: LatencyHistogram) -> None:
        if other.count:
            self._h.add(other._h)

    @property
    def count(self) -> int:
        return int(self._h.get_total_count())

    def percentile_ms(self, q: float) -> float | None:
        """The q-th percentile (0-100) in ms, or None when nothing was recorded."""
        if self.count == 0:
            return None
        return float(self._h.get_value_at_percentile(q)) / 1000.0

    def max_ms(self) -> float | None:
        return None if self.count == 0 else float(self._h.get_max_value()) / 1000.0

    def min_ms(self) -> float | None:
        return None if self.count == 0 else float(self._h.get_min_value()) / 1000.0

    def mean_ms(self) -> float | None:
        return None if self.count == 0 else float(self._h.get_mean_value()) / 1000.0

    def aggregate(self, aggregation: str, q: float | None = None) -> float | None:
        """A k6 trend aggregation in ms: avg, min, max, med or p (with ``q``)."""
        if aggregation == "p":
            return self.percentile_ms(50.0 if q is None else q)
        if aggregation == "med":
            return self.percentile_ms(50.0)
        if aggregation == "avg":
            return self.mean_ms()
        if aggregation == "min":
            return self.min_ms()
        if aggregation == "max":
            return self.max_ms()
        return None

    def rank_of(self, latency_ms: float) -> float | None:
        """Fraction of recorded values at or below ``latency_ms`` (the empirical CDF)."""
        total = self.count
        if total == 0:
            return None
        limit = int(latency_ms * 1000.0 + 0.5)
        below = 0
        for item in self._h.get_recorded_iterator():
            if item.value_iterated_to > limit and not self._h.values_are_equivalent(
                item.value_iterated_to, limit
            ):
                break
            below = item.total_count_to_this_value
        return below / total

    def encode(self) -> str:
        """Compressed base64 text (HdrHistogram's standard encoding)."""
        return bytes(self._h.encode()).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> LatencyHistogram:
        return cls(HdrHistogram.decode(text.encode("ascii")))

    def release(self) -> None:
        """Free the counts now. hdrh's histogram and its encoder refer to each other, so a
        dropped histogram (~185 KB) otherwise waits for the cyclic garbage collector. The
        histogram must not be used afterwards."""
        self._h.encoder = None

    def copy(self) -> LatencyHistogram:
        out = LatencyHistogram()
        out.merge(self)
        return out
