"""Reports: terminal summary, PERFORMANCE_BASELINE.md and a self-contained HTML page with plots."""

from scaling_lab.report.baseline import build_document, pick_primary
from scaling_lab.report.plan_doc import PlanDoc, find_plan, load_plan
from scaling_lab.report.plan_section import plan_document, plan_section
from scaling_lab.report.writer import ReportFiles, write_report

__all__ = [
    "PlanDoc",
    "ReportFiles",
    "build_document",
    "find_plan",
    "load_plan",
    "pick_primary",
    "plan_document",
    "plan_section",
    "write_report",
]
