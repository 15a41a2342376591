"""Run history (SQLite by default, optional S3), baselines and statistical regression detection.

record_result(result)            store a result in the default history (predict/run/verify)
open_store(location)             a HistoryStore (SQLite path or s3://bucket/prefix)
resolve_result(ref, store)       a result from a file path or a run id in the history
detect_regressions(base, cand)   per-endpoint verdicts with bootstrap confidence intervals
"""

from __future__ import annotations

import os
from pathlib import Path

from scaling_lab.result.io import load_result
from scaling_lab.result.models import RunResult
from scaling_lab.store.base import HistoryStore
from scaling_lab.store.location import default_store_location, open_store, project_root
from scaling_lab.store.records import Baseline, RunRecord, record_of
from scaling_lab.store.regress import (
    MetricVerdict,
    RegressionReport,
    Verdict,
    detect_regressions,
    parse_threshold_pct,
)

__all__ = [
    "Baseline",
    "HistoryStore",
    "MetricVerdict",
    "RegressionReport",
    "RunRecord",
    "Verdict",
    "default_store_location",
    "detect_regressions",
    "open_store",
    "parse_threshold_pct",
    "project_root",
    "record_of",
    "record_result",
    "resolve_result",
]


def record_result(result: RunResult, path: str | Path | None = None) -> RunRecord | None:
    """Record ``result`` in the history at ``path`` (default: see default_store_location).

    Returns None without storing anything when SCALING_LAB_NO_HISTORY=1. Raises
    EnvironmentProblem when the store cannot be written.
    """
    if path is None and os.environ.get("SCALING_LAB_NO_HISTORY", "") not in ("", "0"):
        return None
    with open_store(path) as store:
        return store.record(result)


def resolve_result(ref: str | Path, store: HistoryStore | None = None) -> RunResult:
    """A result from a file or run folder when ``ref`` names one, else from the history
    (exact run id, unique prefix or fragment, ``latest`` or ``latest:<scenario>``)."""
    path = Path(ref)
    if path.exists() or str(ref).endswith(".json"):
        return load_result(path)
    if store is not None:
        return store.load(store.find(str(ref)).run_id)
    with open_store() as opened:
        return opened.load(opened.find(str(ref)).run_id)
