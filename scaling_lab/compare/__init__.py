"""Predicted vs observed: compare, tolerances, overlay plots and calibration."""

from scaling_lab.compare.calibrate import Calibration, calibrate, write_system_file
from scaling_lab.compare.core import (
    Comparison,
    Interval,
    Line,
    Phase,
    Verdict,
    compare,
    phases_of,
)
from scaling_lab.compare.plots import plot_comparison
from scaling_lab.compare.render import comparison_markdown, comparison_table
from scaling_lab.compare.tolerances import (
    DEFAULT_TOLERANCES,
    JudgeMode,
    Tolerance,
    Tolerances,
    load_tolerances,
)

__all__ = [
    "DEFAULT_TOLERANCES",
    "Calibration",
    "Comparison",
    "Interval",
    "JudgeMode",
    "Line",
    "Phase",
    "Tolerance",
    "Tolerances",
    "Verdict",
    "calibrate",
    "compare",
    "comparison_markdown",
    "comparison_table",
    "load_tolerances",
    "phases_of",
    "plot_comparison",
    "write_system_file",
]
