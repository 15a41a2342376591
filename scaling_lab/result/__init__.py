"""The one result schema (RunResult), its builder, recovery and file I/O."""

from scaling_lab.result.builder import (
    ResultBuilder,
    classify_status,
    evaluate_thresholds,
    new_run_id,
    percentiles,
    summarize,
    threshold_observed,
)
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.io import dump_result, load_result, save_result
from scaling_lab.result.models import (
    SCHEMA_VERSION,
    EndpointSecond,
    EndpointSummary,
    ErrorClass,
    ErrorCounts,
    Percentiles,
    Provenance,
    RecoveryVerdict,
    ResultKind,
    RunResult,
    SecondSample,
    Summary,
    ThresholdVerdict,
)
from scaling_lab.result.recovery import compute_recovery

__all__ = [
    "SCHEMA_VERSION",
    "EndpointSecond",
    "EndpointSummary",
    "ErrorClass",
    "ErrorCounts",
    "LatencyHistogram",
    "Percentiles",
    "Provenance",
    "RecoveryVerdict",
    "ResultBuilder",
    "ResultKind",
    "RunResult",
    "SecondSample",
    "Summary",
    "ThresholdVerdict",
    "classify_status",
    "compute_recovery",
    "dump_result",
    "evaluate_thresholds",
    "load_result",
    "new_run_id",
    "percentiles",
    "save_result",
    "summarize",
    "threshold_observed",
]
