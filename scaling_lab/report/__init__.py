"""Reports: terminal summary, PERFORMANCE_BASELINE.md and a self-contained HTML page with plots."""

from scaling_lab.report.baseline import build_document, pick_primary
from scaling_lab.report.writer import ReportFiles, write_report

__all__ = ["ReportFiles", "build_document", "pick_primary", "write_report"]
