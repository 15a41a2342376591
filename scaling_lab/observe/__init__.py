"""Observed metrics of a run: CloudWatch (AWS or the emulator) or the emulator's JSON endpoint,
merged into an observed RunResult.

    figures = collect_cloudwatch(boto3.client("cloudwatch"), system, start, end, period_s=60)
    # or, on the local stack: fetch_local_metrics(stack_url)
    result = merge_into_result(result, figures)          # or apply_to_builder(builder, ...)
"""

from scaling_lab.observe.cloudwatch import (
    DEFAULT_FUNCTION_NAME,
    EMULATOR_NAMESPACE,
    MetricSpec,
    collect_cloudwatch,
    metric_specs,
)
from scaling_lab.observe.figures import FIGURE_NAMES, Figures, FigureSeries
from scaling_lab.observe.local import METRICS_PATH, fetch_local_metrics, figures_from_document
from scaling_lab.observe.merge import apply_to_builder, merge_into_result

__all__ = [
    "DEFAULT_FUNCTION_NAME",
    "EMULATOR_NAMESPACE",
    "FIGURE_NAMES",
    "METRICS_PATH",
    "FigureSeries",
    "Figures",
    "MetricSpec",
    "apply_to_builder",
    "collect_cloudwatch",
    "fetch_local_metrics",
    "figures_from_document",
    "merge_into_result",
    "metric_specs",
]
