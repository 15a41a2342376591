"""JUnit XML for a regression report (one test case per endpoint and figure)."""

from __future__ import annotations

from scaling_lab.junit import Case, Outcome
from scaling_lab.junit import junit_xml as write_junit
from scaling_lab.store.regress import RegressionReport, Verdict

__all__ = ["junit_xml"]

_OUTCOME = {Verdict.REGRESSION: Outcome.FAILED, Verdict.NOT_OBSERVED: Outcome.SKIPPED}


def junit_xml(report: RegressionReport) -> str:
    cases = [
        Case(
            classname=f"regress.{v.endpoint}",
            name=v.metric,
            outcome=_OUTCOME.get(v.verdict, Outcome.PASSED),
            text=v.describe(report.confidence),
            failure_type="regression",
        )
        for v in report.verdicts
    ]
    properties = {
        "baseline": report.baseline_id,
        "candidate": report.candidate_id,
        "threshold": f"{report.threshold:.4f}",
        "confidence": f"{report.confidence:.3f}",
        "paired": str(report.paired).lower(),
        "run_noise": report.noise_source,
    }
    return write_junit("scaling-lab regress", cases, properties)
