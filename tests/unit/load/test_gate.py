"""``check``: the gate on any RunResult - verdict table, exit 99, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from load_helpers import ROOT, make_builder

from scaling_lab.cli.main import main
from scaling_lab.load.gate import GateLimits, Source, gate, junit_xml
from scaling_lab.result import ErrorClass, ResultKind, save_result
from scaling_lab.scenario import load_scenario


def build(sample_scenario, staging, *, latency_ms=20.0, errors=0, kind=ResultKind.OBSERVED):
    b = make_builder(sample_scenario, staging)
    b.kind = kind
    for t in range(10):
        for i in range(40):
            err = ErrorClass.SERVER if (t == 0 and i < errors) else None
            b.record(t + 0.01 * i, "post_events", latency_ms + i * 0.1, err)
            b.offered(t, 1)
    return b.build()


def test_a_good_run_passes_every_check(sample_scenario, staging):
    res = build(sample_scenario, staging)
    verdicts = gate(
        res, GateLimits(p95_ms=100, p99_ms=300, error_rate=0.001, min_throughput_per_s=39)
    )
    assert [v.source for v in verdicts].count(Source.SCENARIO) == 5
    assert [v.source for v in verdicts].count(Source.LIMIT) == 4
    assert all(v.passed for v in verdicts)


def test_each_limit_can_fail(sample_scenario, staging):
    res = build(sample_scenario, staging, errors=4)  # 4 of 400 = 1 %
    verdicts = {
        v.check: v
        for v in gate(
            res,
            GateLimits(p95_ms=10, p99_ms=10, error_rate=0.001, min_throughput_per_s=100),
            scenario_thresholds=False,
        )
    }
    assert not any(v.passed for v in verdicts.values())
    assert verdicts["error rate <= 0.001"].observed == pytest.approx(0.01)
    assert verdicts["throughput >= 100 req/s"].observed == pytest.approx(39.6)


def test_an_unobservable_figure_fails(sample_scenario, staging):
    b = make_builder(sample_scenario, staging)
    res = b.build()  # no requests at all
    (v,) = gate(res, GateLimits(p95_ms=100), scenario_thresholds=False)
    assert v.observed is None and not v.passed and "unobservable" in v.observed_text


def test_predicted_results_are_gated_the_same_way(sample_scenario, staging):
    res = build(sample_scenario, staging, latency_ms=200, kind=ResultKind.PREDICTED)
    verdicts = gate(res, GateLimits())
    failed = {v.check for v in verdicts if not v.passed}
    assert failed == {"p(95)<100", "med<50"}


def test_recovery_is_part_of_the_gate(staging):
    sc = load_scenario(ROOT / "scenarios" / "ci-spike.yaml").scaled(0.01)
    b = make_builder(sc, staging)
    for t in range(int(sc.duration_s)):
        slow = 30 <= t < 150  # never recovers within the spike's 2-minute deadline
        b.record(t, "post_events", 500.0 if slow else 10.0)
    res = b.build()
    rec = [v for v in gate(res, GateLimits()) if v.source is Source.RECOVERY]
    assert len(rec) == 1 and not rec[0].passed


def test_junit_xml_has_one_case_per_check(sample_scenario, staging):
    res = build(sample_scenario, staging)
    verdicts = gate(res, GateLimits(p95_ms=1))
    root = ET.fromstring(junit_xml(res, verdicts))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(verdicts) == 6
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["all: p95 <= 1 ms"]
    assert suite.get("failures") == "1"


def test_cli_exit_codes_and_junit(sample_scenario, staging, tmp_path, capsys):
    path = save_result(build(sample_scenario, staging), tmp_path / "r.json")
    assert main(["check", str(path), "--p95-ms", "100"]) == 0
    junit = tmp_path / "junit.xml"
    assert main(["check", str(path), "--p95-ms", "5", "--junit", str(junit)]) == 99
    out = capsys.readouterr().out
    assert "FAIL" in out and "p95 <= 5 ms" in out
    assert ET.parse(junit).getroot().get("failures") == "1"


def test_cli_bad_result_file_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["check", str(bad)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_partial_result_never_passes_the_gate(sample_scenario, staging, tmp_path, capsys):
    """An interrupted run (or one whose stack died) measured less than the scenario: a CI gate
    that passes it would pass a run that never happened in full."""
    res = build(sample_scenario, staging)
    res.provenance.partial = True
    path = tmp_path / "partial.json"
    save_result(res, path)
    junit = tmp_path / "junit.xml"
    assert main(["check", str(path), "--junit", str(junit)]) == 99
    captured = capsys.readouterr()
    assert "the run completed" in captured.out and "partial" in captured.err
    assert ET.parse(junit).getroot().get("failures") == "1"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--p95-ms", "nan", "expected a number > 0 and <= 3,600,000 ms, got nan"),
        ("--p95-ms", "-1", "got -1"),
        ("--p95-ms", "inf", "got inf"),
        ("--p99-ms", "0", "got 0"),
        ("--error-rate", "5", "expected a number >= 0 and <= 1, got 5"),
        ("--error-rate", "nan", "got nan"),
        ("--min-throughput", "-3", "expected a number >= 0 and <= 1,000,000 req/s, got -3"),
    ],
)
def test_a_nonsense_limit_is_exit_2_naming_the_option(
    sample_scenario, staging, tmp_path, capsys, option, value, expected
):
    path = save_result(build(sample_scenario, staging), tmp_path / "r.json")
    assert main(["check", str(path), option, value]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {option}: ") and expected in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert captured.out == ""  # refused before the table
