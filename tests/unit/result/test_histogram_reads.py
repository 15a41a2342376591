"""The NumPy reads of LatencyHistogram give what hdrh's own (pure Python) iterators give."""

from __future__ import annotations

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from scaling_lab.result.histogram import LatencyHistogram

QS = (0.0, 0.1, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0)


def _pair(values_ms: np.ndarray, counts: np.ndarray) -> tuple[LatencyHistogram, HdrHistogram]:
    ours = LatencyHistogram()
    for v, c in zip(values_ms.tolist(), counts.tolist(), strict=True):
        ours.record(v, c)
    ref = LatencyHistogram.decode(ours.encode())._h  # an independent copy of the same counts
    return ours, ref


def _hdrh_rank(h: HdrHistogram, latency_ms: float) -> float:
    limit = int(latency_ms * 1000.0 + 0.5)
    below = 0
    for item in h.get_recorded_iterator():
        if item.value_iterated_to > limit and not h.values_are_equivalent(
            item.value_iterated_to, limit
        ):
            break
        below = item.total_count_to_this_value
    return below / h.get_total_count()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_mean_and_rank_match_hdrh(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    values = rng.lognormal(np.log(20.0), 1.5, n)  # 1 us .. minutes: many buckets
    counts = rng.integers(1, 50, n)
    ours, ref = _pair(values, counts)
    got = ours.percentiles_ms(QS)
    want = [ref.get_value_at_percentile(q) / 1000.0 for q in QS]
    assert got == want
    assert ours.mean_ms() == pytest.approx(ref.get_mean_value() / 1000.0, rel=1e-12)
    for probe in [*values[:20].tolist(), 0.0005, 1e6]:
        assert ours.rank_of(probe) == pytest.approx(_hdrh_rank(ref, probe), abs=1e-15)


def test_one_value_and_empty() -> None:
    h = LatencyHistogram()
    assert h.percentiles_ms((50.0, 99.0)) == [None, None]
    assert h.mean_ms() is None
    h.record(12.3456, 7)
    ref = LatencyHistogram.decode(h.encode())._h
    assert h.percentile_ms(95) == ref.get_value_at_percentile(95) / 1000.0
    assert h.percentile_ms(0) == ref.get_value_at_percentile(0) / 1000.0


def test_record_many_fills_the_counts_record_fills() -> None:
    rng = np.random.default_rng(9)
    values = np.concatenate([rng.lognormal(np.log(20.0), 2.0, 500), [0.0, 1e-4, 4e9]])
    counts = rng.integers(1, 9, values.size)
    one, many = LatencyHistogram(), LatencyHistogram()
    for v, c in zip(values.tolist(), counts.tolist(), strict=True):
        one.record(v, c)
    many.record_many(values, counts)
    assert many.encode() == one.encode()
    assert (many.count, many.min_ms(), many.max_ms()) == (one.count, one.min_ms(), one.max_ms())


@pytest.mark.parametrize("n", [1, 40, 3000])  # 3,000 distinct buckets: past SPARSE_MAX
def test_a_sparse_histogram_reads_and_encodes_as_a_dense_one(n: int) -> None:
    rng = np.random.default_rng(n)
    values = rng.lognormal(np.log(50.0), 2.5, n)
    counts = rng.integers(1, 5, n)
    sparse, dense = LatencyHistogram(), LatencyHistogram()
    sparse.record_many(values, counts)
    for v, c in zip(values.tolist(), counts.tolist(), strict=True):
        dense.record(v, c)
    assert sparse.encode() == dense.encode()
    assert sparse.percentiles_ms(QS) == dense.percentiles_ms(QS)
    assert (sparse.min_ms(), sparse.max_ms(), sparse.count) == (
        dense.min_ms(),
        dense.max_ms(),
        dense.count,
    )
    assert sparse.mean_ms() == pytest.approx(dense.mean_ms(), rel=1e-12)
    assert sparse.rank_of(50.0) == dense.rank_of(50.0)
    # merging sparse into sparse, sparse into dense and dense into sparse gives one histogram
    a, b = LatencyHistogram(), LatencyHistogram()
    a.record_many(values[: n // 2], counts[: n // 2])
    b.record_many(values[n // 2 :], counts[n // 2 :])
    a.merge(b)
    assert a.encode() == dense.encode()
    c = LatencyHistogram()
    c.record(1.0)
    c.merge(sparse)
    d = LatencyHistogram()
    d.record_many(np.array([1.0]), np.array([1]))
    d.merge(dense)
    assert c.encode() == d.encode()
    assert LatencyHistogram.decode(sparse.encode()).percentiles_ms(QS) == dense.percentiles_ms(QS)
