"""What a replication records: per-second figures and latencies by arrival second."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from scaling_lab.result.models import ErrorClass

__all__ = ["Figures", "LatencySink"]


@dataclass
class Figures:
    """Per-second figures, indexed by second."""

    seconds: int
    concurrency: np.ndarray = field(init=False)
    invocations: np.ndarray = field(init=False)
    throttles: np.ndarray = field(init=False)
    cold: np.ndarray = field(init=False)
    wcu: np.ndarray = field(init=False)
    rcu: np.ndarray = field(init=False)
    prov_wcu: np.ndarray = field(init=False)
    prov_rcu: np.ndarray = field(init=False)
    ddb_throttled: np.ndarray = field(init=False)
    ddb_retries: np.ndarray = field(init=False)
    sqs_depth: np.ndarray = field(init=False)
    enqueued: np.ndarray = field(init=False)
    offered: np.ndarray = field(init=False)
    busy_mean: np.ndarray = field(init=False)  # time-average concurrency

    def __post_init__(self) -> None:
        for f in fields(self):
            if not f.init:
                setattr(self, f.name, np.zeros(self.seconds + 1))


class LatencySink:
    """Latencies by (arrival second, endpoint, error class), folded into the result builder.

    Both modes quantize to 0.5 % relative steps before recording (HDR keeps 3 significant
    digits), which makes recording cost depend on distinct values, not on request count.
    """

    STEP = math.log1p(0.005)

    def __init__(self) -> None:
        # (endpoint, error) -> [(seconds, latencies)]: many seconds' latencies at once
        self._batches: dict[tuple[str, ErrorClass | None], list[tuple[np.ndarray, np.ndarray]]] = {}
        self._chunks: dict[tuple[int, str, ErrorClass | None], list[np.ndarray]] = {}
        self._scalars: dict[tuple[int, str, ErrorClass | None], list[float]] = {}
        self._counts: dict[tuple[int, str, ErrorClass | None, float], int] = {}

    def add_array(self, sec: int, ep: str, error: ErrorClass | None, lat_ms: np.ndarray) -> None:
        self._chunks.setdefault((sec, ep, error), []).append(lat_ms)

    def add_columns(
        self, secs: np.ndarray, ep: str, error: ErrorClass | None, lat_ms: np.ndarray
    ) -> None:
        """Latencies ``lat_ms[i]`` of requests that arrived in second ``secs[i]``."""
        if lat_ms.size:
            self._batches.setdefault((ep, error), []).append((secs, lat_ms))

    def add(
        self, sec: int, ep: str, error: ErrorClass | None, lat_ms: float, count: int = 1
    ) -> None:
        if count == 1:
            self._scalars.setdefault((sec, ep, error), []).append(lat_ms)
        else:
            key = (sec, ep, error, lat_ms)
            self._counts[key] = self._counts.get(key, 0) + count

    @classmethod
    def _quantize(cls, lat_ms: np.ndarray) -> np.ndarray:
        q = np.rint(np.log(np.maximum(lat_ms, 1e-3)) / cls.STEP)
        out: np.ndarray = np.exp(q * cls.STEP)
        return out

    def columns(self) -> list[tuple[str, ErrorClass | None, np.ndarray, np.ndarray, np.ndarray]]:
        """(endpoint, error, seconds, latencies_ms, counts): everything recorded, one batch per
        endpoint and outcome, quantized as :meth:`groups` (for folding in bulk)."""
        parts: dict[tuple[str, ErrorClass | None], list[tuple[np.ndarray, ...]]] = {}
        for (ep, err), batches in self._batches.items():
            for secs, lat in batches:
                one = np.ones(lat.size, dtype=np.int64)
                parts.setdefault((ep, err), []).append((secs, self._quantize(lat), one))
        per_second: dict[tuple[str, ErrorClass | None], tuple[list[int], list[np.ndarray]]] = {}
        for (sec, ep, err), chunks in self._chunks.items():
            at, arrays = per_second.setdefault((ep, err), ([], []))
            for chunk in chunks:
                at.append(sec)
                arrays.append(chunk)
        for (sec, ep, err), values in self._scalars.items():
            at, arrays = per_second.setdefault((ep, err), ([], []))
            at.append(sec)
            arrays.append(np.asarray(values, dtype=float))
        for key, (at, arrays) in per_second.items():
            lat_all = np.concatenate(arrays)
            sec_of = np.repeat(np.asarray(at, dtype=np.int64), [a.size for a in arrays])
            parts.setdefault(key, []).append(
                (sec_of, self._quantize(lat_all), np.ones(lat_all.size, dtype=np.int64))
            )
        counted: dict[tuple[str, ErrorClass | None], list[tuple[int, float, int]]] = {}
        for (sec, ep, err, lat_ms), c in self._counts.items():
            counted.setdefault((ep, err), []).append((sec, lat_ms, c))
        for key, rows in counted.items():
            secs_c, lats_c, cs = zip(*rows, strict=True)
            parts.setdefault(key, []).append(
                (
                    np.asarray(secs_c, dtype=np.int64),
                    np.asarray(lats_c, dtype=float),
                    np.asarray(cs, dtype=np.int64),
                )
            )
        out: list[tuple[str, ErrorClass | None, np.ndarray, np.ndarray, np.ndarray]] = []
        for (ep, err), pieces in sorted(parts.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            cat = [np.concatenate([p[i] for p in pieces]) for i in range(3)]
            out.append((ep, err, cat[0], cat[1], cat[2]))
        return out

    def groups(self) -> list[tuple[int, str, ErrorClass | None, np.ndarray, np.ndarray]]:
        """(second, endpoint, error, latencies_ms, counts), quantized, deterministic order."""
        out: list[tuple[int, str, ErrorClass | None, np.ndarray, np.ndarray]] = []
        chunks = {k: list(v) for k, v in self._chunks.items()}  # plus the batches, per second
        for (ep, err), batches in self._batches.items():
            for secs, lats in batches:
                for sec in np.unique(secs).tolist():
                    chunks.setdefault((sec, ep, err), []).append(lats[secs == sec])
        keys = set(chunks) | set(self._scalars)
        for key in sorted(keys, key=lambda k: (k[0], k[1], str(k[2]))):
            parts = list(chunks.get(key, []))
            if key in self._scalars:
                parts.append(np.asarray(self._scalars[key]))
            arr = np.concatenate(parts) if len(parts) > 1 else parts[0]
            q = np.rint(np.log(np.maximum(arr, 1e-3)) / self.STEP).astype(np.int64)
            vals, counts = np.unique(q, return_counts=True)  # as _quantize, grouped
            out.append((key[0], key[1], key[2], np.exp(vals * self.STEP), counts))
        for (sec, ep, err, lat), c in sorted(
            self._counts.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]), kv[0][3])
        ):
            out.append((sec, ep, err, np.array([lat]), np.array([c])))
        return out

    def items(self) -> list[tuple[int, str, ErrorClass | None, float, int]]:
        """(second, endpoint, error, latency_ms, count), quantized, deterministic order."""
        return [
            (sec, ep, err, v, int(c))
            for sec, ep, err, vals, counts in self.groups()
            for v, c in zip(vals.tolist(), counts.tolist(), strict=True)
        ]
