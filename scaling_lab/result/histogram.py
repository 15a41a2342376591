"""Latency histograms: a thin wrapper over HdrHistogram (hdrhistogram on PyPI).

Values are recorded in microseconds (1 us .. 1 h, 3 significant digits) and reported in
milliseconds. Percentiles always come from a histogram, never from a list of raw samples.
Reads (percentiles, mean, rank) run on the counts with NumPy and give the values hdrh's own
iterators give (tests/unit/result/test_histogram_reads.py checks them against hdrh).

A histogram filled in bulk (:meth:`LatencyHistogram.record_many`, the model's per-second
latencies) stays sparse -- its occupied buckets and their counts -- until it holds more than
:data:`SPARSE_MAX` of them or is filled one value at a time: a second with a few requests
costs a few buckets, not hdrh's 23,552 counters (~185 KB, whose allocation dominates a quiet
second). Both forms encode to the same bytes.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from itertools import accumulate

import numpy as np
from hdrh.histogram import HdrHistogram

__all__ = ["BUCKETS", "SPARSE_MAX", "LatencyHistogram", "bucket_of", "to_us"]

_LOWEST_US = 1
_HIGHEST_US = 3_600_000_000
_SIG_FIGS = 3
SPARSE_MAX = 2048  # occupied buckets a sparse histogram holds before it turns dense
_SMALL = 32  # a sparse histogram of at most this many buckets is read in plain Python


def _new_hdr() -> HdrHistogram:
    return HdrHistogram(_LOWEST_US, _HIGHEST_US, _SIG_FIGS)


_PROTO = _new_hdr()
_UNIT = _PROTO.unit_magnitude
_HALF_MAG = _PROTO.sub_bucket_half_count_magnitude
_HALF = _PROTO.sub_bucket_half_count
_MASK = _PROTO.sub_bucket_mask
_LEN = _PROTO.counts_len


@cache
def _layout(unit_magnitude: int, half_magnitude: int, counts_len: int) -> tuple[np.ndarray, ...]:
    """Per counts index: the lowest, highest and median equivalent value (hdrh's
    get_value_from_index, get_highest_equivalent_value, _hdr_median_equiv_value)."""
    i = np.arange(counts_len, dtype=np.int64)
    half = 1 << half_magnitude
    bucket = (i >> half_magnitude) - 1
    sub = (i & (half - 1)) + half
    first = bucket < 0
    sub[first] -= half
    bucket[first] = 0
    lo = sub << (bucket + unit_magnitude)
    size = np.left_shift(1, unit_magnitude + bucket)
    return lo, lo + size - 1, lo + (size >> 1)


def bucket_of(us: np.ndarray) -> np.ndarray:
    """The counts index (bucket) of each value in microseconds: hdrh's _counts_index_for,
    vectorised."""
    pow2ceiling = np.frexp((us | _MASK).astype(np.float64))[1].astype(np.int64)
    bucket = pow2ceiling - _UNIT - (_HALF_MAG + 1)
    sub = us >> (bucket + _UNIT)
    idx: np.ndarray = ((bucket + 1) << _HALF_MAG) + (sub - _HALF)
    return idx


def to_us(latency_ms: np.ndarray) -> np.ndarray:
    """Latencies in ms as the whole microseconds a histogram records (clamped to its range)."""
    us: np.ndarray = np.clip(np.floor(latency_ms * 1000.0 + 0.5), _LOWEST_US, _HIGHEST_US).astype(
        np.int64
    )
    return us


#: Buckets of one histogram; ``group * BUCKETS + bucket`` keys a bucket of many histograms.
BUCKETS = _LEN

_scratch = threading.local()  # one dense histogram per thread, to encode sparse ones


class LatencyHistogram:
    """Record latencies in ms; read p50/p95/p99/max in ms; merge; encode for storage."""

    __slots__ = ("_cnt", "_dense", "_idx", "_max_us", "_min_us", "_total")

    def __init__(self, hist: HdrHistogram | None = None) -> None:
        self._dense = hist
        self._idx = np.zeros(0, dtype=np.int64)  # sparse: occupied buckets, increasing
        self._cnt = np.zeros(0, dtype=np.int64)
        self._min_us = 0
        self._max_us = 0
        self._total = 0  # sparse form's count

    @classmethod
    def from_bins(
        cls, idx: np.ndarray, cnt: np.ndarray, lo_us: int, hi_us: int
    ) -> LatencyHistogram:
        """A histogram of the occupied buckets ``idx`` (distinct, increasing counts indices) with
        ``cnt`` values each, the values ranging ``lo_us`` .. ``hi_us``."""
        h = cls()
        h._idx, h._cnt = idx, cnt
        h._min_us, h._max_us = lo_us, hi_us
        h._total = int(cnt.sum())
        if idx.size > SPARSE_MAX:
            _ = h._h  # turn dense
        return h

    @classmethod
    def dense(cls) -> LatencyHistogram:
        """An empty histogram in hdrh's dense form (for one that many others merge into)."""
        return cls(_new_hdr())

    # -- representation ------------------------------------------------------------------------
    @property
    def _h(self) -> HdrHistogram:
        """The dense hdrh histogram (made from the sparse form on first use)."""
        if self._dense is None:
            h = _new_hdr()
            if self._cnt.size:
                np.ctypeslib.as_array(h.counts)[self._idx] = self._cnt.astype(np.uint64)
                h.total_count = self._total
                h.min_value, h.max_value = self._min_us, self._max_us
            self._dense = h
            self._idx = self._cnt = np.zeros(0, dtype=np.int64)
            self._total = 0
        return self._dense

    def bins(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, counts) of the occupied buckets, increasing."""
        if self._dense is None:
            return self._idx, self._cnt
        c = np.ctypeslib.as_array(self._dense.counts)
        nz = np.flatnonzero(c)
        return nz, c[nz].astype(np.int64)

    # -- recording -----------------------------------------------------------------------------
    def record(self, latency_ms: float, count: int = 1) -> None:
        us = int(latency_ms * 1000.0 + 0.5)
        if us < _LOWEST_US:
            us = _LOWEST_US
        elif us > _HIGHEST_US:
            us = _HIGHEST_US
        self._h.record_value(us, count)

    def record_many(self, latency_ms: np.ndarray, counts: np.ndarray) -> None:
        """Record ``counts[i]`` values of ``latency_ms[i]`` (clamped to the range, as record)."""
        if latency_ms.size == 0:
            return
        us = to_us(latency_ms)
        self._add_bins(
            bucket_of(us), np.asarray(counts, dtype=np.int64), int(us.min()), int(us.max())
        )

    def _add_bins(self, idx: np.ndarray, cnt: np.ndarray, lo_us: int, hi_us: int) -> None:
        if self._dense is not None:
            h = self._dense
            np.add.at(np.ctypeslib.as_array(h.counts), idx, cnt.astype(np.uint64))
            h.total_count += int(cnt.sum())
            h.min_value = min(h.min_value, lo_us)
            h.max_value = max(h.max_value, hi_us)
            return
        if self._cnt.size:
            idx = np.concatenate([self._idx, idx])
            cnt = np.concatenate([self._cnt, cnt])
            lo_us, hi_us = min(lo_us, self._min_us), max(hi_us, self._max_us)
        uniq, inv = np.unique(idx, return_inverse=True)
        self._idx = uniq
        self._cnt = np.bincount(inv, weights=cnt, minlength=uniq.size).astype(np.int64)
        self._min_us, self._max_us = lo_us, hi_us
        self._total = int(self._cnt.sum())
        if uniq.size > SPARSE_MAX:
            _ = self._h  # turn dense

    @classmethod
    def combined(cls, parts: Sequence[LatencyHistogram]) -> LatencyHistogram:
        """One histogram of all of ``parts`` (as merging each in turn), added in one pass."""
        sparse = [h for h in parts if h.count and h._dense is None]
        out = cls()
        if sparse:
            idx = np.concatenate([h._idx for h in sparse])
            cnt = np.concatenate([h._cnt for h in sparse])
            lo = min(h._min_us for h in sparse)
            hi = max(h._max_us for h in sparse)
            if idx.size > SPARSE_MAX:
                counts = np.bincount(idx, weights=cnt, minlength=_LEN).astype(np.int64)
                nz = np.flatnonzero(counts)
                out = cls.from_bins(nz, counts[nz], lo, hi)
            else:
                out._add_bins(idx, cnt, lo, hi)
        for h in parts:
            if h._dense is not None:
                out.merge(h)
        return out

    def merge(self, other: LatencyHistogram) -> None:
        if not other.count:
            return
        if other._dense is None:
            self._add_bins(other._idx, other._cnt, other._min_us, other._max_us)
        else:
            self._h.add(other._dense)

    # -- reading -------------------------------------------------------------------------------
    @property
    def sparse(self) -> bool:
        """Held as its occupied buckets only (a few hundred bytes, not hdrh's ~185 KB)."""
        return self._dense is None

    @property
    def count(self) -> int:
        if self._dense is None:
            return self._total
        return int(self._dense.get_total_count())

    def percentiles_ms(self, qs: Sequence[float]) -> list[float | None]:
        """Several percentiles (0-100) in ms from one pass over the counts; None each when
        nothing was recorded. hdrh's rule: the first value whose cumulative count reaches
        ``round(q% of total)`` (at least 1), reported as the highest equivalent value (lowest
        for q = 0)."""
        total = self.count
        if total == 0:
            return [None] * len(qs)
        lo, hi, _med = _layout(_UNIT, _HALF_MAG, _LEN)
        if self._dense is None and self._idx.size <= _SMALL:
            return self._small_percentiles(qs, lo, hi)
        idx, cnt = self.bins()
        cum = np.cumsum(cnt)
        out: list[float | None] = []
        for q in qs:
            target = max(int(min(q, 100.0) * total / 100 + 0.5), 1)
            pos = int(np.searchsorted(cum, target, side="left"))
            if pos >= cum.size:
                out.append(0.0)
                continue
            out.append(float((hi if q else lo)[idx[pos]]) / 1000.0)
        return out

    def _small_percentiles(
        self, qs: Sequence[float], lo: np.ndarray, hi: np.ndarray
    ) -> list[float | None]:
        """percentiles_ms of a sparse histogram of a few buckets, in plain Python (the same
        rule; NumPy's per-call cost dominates a second of a few requests)."""
        total = self._total
        cum = list(accumulate(self._cnt.tolist()))
        idx = self._idx.tolist()
        out: list[float | None] = []
        for q in qs:
            target = max(int(min(q, 100.0) * total / 100 + 0.5), 1)
            pos = bisect_left(cum, target)
            if pos >= len(cum):
                out.append(0.0)
                continue
            out.append(float((hi if q else lo)[idx[pos]]) / 1000.0)
        return out

    def percentile_ms(self, q: float) -> float | None:
        """The q-th percentile (0-100) in ms, or None when nothing was recorded."""
        return self.percentiles_ms((q,))[0]

    def max_ms(self) -> float | None:
        if self.count == 0:
            return None
        if self._dense is None:
            return float(_layout(_UNIT, _HALF_MAG, _LEN)[1][self._idx[-1]]) / 1000.0
        return float(self._dense.get_max_value()) / 1000.0

    def min_ms(self) -> float | None:
        if self.count == 0:
            return None
        if self._dense is None:
            return float(_layout(_UNIT, _HALF_MAG, _LEN)[0][self._idx[0]]) / 1000.0
        return float(self._dense.get_min_value()) / 1000.0

    def mean_ms(self) -> float | None:
        """Mean in ms, each count at its bucket's median equivalent value (as hdrh)."""
        total = self.count
        if total == 0:
            return None
        idx, cnt = self.bins()
        med = _layout(_UNIT, _HALF_MAG, _LEN)[2]
        return float(np.dot(cnt.astype(np.float64), med[idx].astype(np.float64))) / total / 1000.0

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
        idx, cnt = self.bins()
        lo = _layout(_UNIT, _HALF_MAG, _LEN)[0]
        # every bucket whose values are at or below the limit, or equivalent to it
        return float(cnt[lo[idx] <= limit].sum()) / total

    # -- storage -------------------------------------------------------------------------------
    def encode(self) -> str:
        """Compressed base64 text (HdrHistogram's standard encoding)."""
        if self._dense is not None:
            return bytes(self._dense.encode()).decode("ascii")
        h = getattr(_scratch, "h", None)
        if h is None:
            h = _scratch.h = _new_hdr()
        counts = np.ctypeslib.as_array(h.counts)
        counts[self._idx] = self._cnt.astype(np.uint64)
        h.total_count = self._total
        h.max_value = self._max_us
        try:
            return bytes(h.encode()).decode("ascii")
        finally:
            counts[self._idx] = 0
            h.total_count = 0
            h.max_value = 0

    @classmethod
    def decode(cls, text: str) -> LatencyHistogram:
        return cls(HdrHistogram.decode(text.encode("ascii")))

    def release(self) -> None:
        """Free the counts now. hdrh's histogram and its encoder refer to each other, so a
        dropped histogram (~185 KB) otherwise waits for the cyclic garbage collector. The
        histogram must not be used afterwards."""
        if self._dense is not None:
            self._dense.encoder = None

    def copy(self) -> LatencyHistogram:
        out = LatencyHistogram()
        out.merge(self)
        return out
