"""JUnit XML for a regression report (one test case per endpoint and figure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scaling_lab.store.regress import MetricVerdict, RegressionReport, Verdict

__all__ = ["describe", "junit_xml"]


def _fmt(v: MetricVerdict, x: float | None) -> str:
    if x is None:
        return "not observed"
    if v.metric == "error_rate":
        return f"{x:.4%}"
    return f"{x:,.2f} {v.unit}"


def _pct(v: MetricVerdict, x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x * 100:+.2f} pp" if v.metric == "error_rate" else f"{x:+.1%}"


def describe(v: MetricVerdict, confidence: float) -> str:
    """One line: baseline -> candidate, degradation, interval, threshold."""
    if v.verdict is Verdict.NOT_OBSERVED:
        return f"{v.endpoint} {v.metric}: not observed in one of the runs"
    ci = (
        ""
        if v.ci_low is None or v.ci_high is None
        else f", {confidence:.0%} CI [{_pct(v, v.ci_low)}, {_pct(v, v.ci_high)}]"
    )
    return (
        f"{v.endpoint} {v.metric}: {_fmt(v, v.baseline)} -> {_fmt(v, v.candidate)}, "
        f"degradation {_pct(v, v.degradation)}{ci}, threshold {_pct(v, v.threshold)}: "
        f"{v.verdict.value}"
    )


def junit_xml(report: RegressionReport) -> str:
    suite = ET.Element(
        "testsuite",
        name="scaling-lab regress",
        tests=str(len(report.verdicts)),
        failures=str(len(report.regressions)),
        skipped=str(sum(v.verdict is Verdict.NOT_OBSERVED for v in report.verdicts)),
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("baseline", report.baseline_id),
        ("candidate", report.candidate_id),
        ("threshold", f"{report.threshold:.4f}"),
        ("confidence", f"{report.confidence:.3f}"),
        ("paired", str(report.paired).lower()),
        ("run_noise", report.noise_source),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    for v in report.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"regress.{v.endpoint}", name=v.metric)
        text = describe(v, report.confidence)
        if v.verdict is Verdict.REGRESSION:
            ET.SubElement(case, "failure", message=text, type="regression").text = text
        elif v.verdict is Verdict.NOT_OBSERVED:
            ET.SubElement(case, "skipped", message=text)
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
