"""Write a report folder: PERFORMANCE_BASELINE.md (CAPACITY_PLAN.md for capacity plans alone),
plots/*.png and a self-contained report.html."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scaling_lab.errors import EnvironmentProblem
from scaling_lab.report.baseline import build_document
from scaling_lab.report.chaos_section import ChaosRun, chaos_section
from scaling_lab.report.html import render_html
from scaling_lab.report.markdown import render_markdown
from scaling_lab.report.plan_doc import PlanDoc
from scaling_lab.report.plan_section import plan_document, plan_section
from scaling_lab.result.models import RunResult

__all__ = ["ReportFiles", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    plots: list[Path]


def write_report(
    results: Sequence[RunResult],
    out_dir: Path,
    *,
    command: str | None = None,
    plans: Sequence[PlanDoc] = (),
    chaos: Sequence[tuple[ChaosRun, RunResult]] = (),
) -> ReportFiles:
    """The report of ``results`` with a capacity-plan section for each of ``plans`` and a
    chaos section for each of ``chaos`` (a run folder and its load's result, which is one of
    ``results``), before the provenance; of the plans alone when there are no results."""
    if results:
        doc = build_document(results, command=command)
        for i, (run, result) in enumerate(chaos):
            section, chaos_pngs = chaos_section(
                run, result, prefix="chaos" if len(chaos) == 1 else f"chaos{i + 1}"
            )
            doc.sections.insert(len(doc.sections) - 1, section)
            doc.plots.update(chaos_pngs)
        for i, plan in enumerate(plans):
            section, plan_pngs = plan_section(
                plan, prefix="plan" if len(plans) == 1 else f"plan{i + 1}"
            )
            doc.sections.insert(len(doc.sections) - 1, section)  # the last is the provenance
            doc.plots.update(plan_pngs)
        md_name = "PERFORMANCE_BASELINE.md"
    else:
        doc = plan_document(plans, command=command)
        md_name = "CAPACITY_PLAN.md"
    try:
        plots_dir = out_dir / "plots"
        plots_dir.mkdir(parents=True, exist_ok=True)
        pngs = []
        for name, png in doc.plots.items():
            path = plots_dir / f"{name}.png"
            path.write_bytes(png)
            pngs.append(path)
        md = out_dir / md_name
        md.write_text(render_markdown(doc), encoding="utf-8")
        page = out_dir / "report.html"
        page.write_text(render_html(doc), encoding="utf-8")
    except OSError as exc:
        raise EnvironmentProblem(f"report: cannot write to {out_dir} ({exc.strerror})") from None
    return ReportFiles(md, page, pngs)
