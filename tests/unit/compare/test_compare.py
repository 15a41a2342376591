"""compare / calibrate on hand-made results with known differences."""

import numpy as np
import pytest

from scaling_lab.cli.main import main
from scaling_lab.compare import Tolerance, Tolerances, Verdict, calibrate, compare
from scaling_lab.compare.calibrate import write_system_file
from scaling_lab.provenance import make_provenance
from scaling_lab.result import ErrorClass, ResultBuilder, ResultKind, save_result
from scaling_lab.scenario.loader import load_model
from scaling_lab.scenario.models import Scenario
from scaling_lab.system import LogNormal, SystemConfig, load_system

SCENARIO = Scenario.model_validate(
    {
        "name": "step",
        "traffic": {
            "start_rate": 10,
            "stages": [
                {"duration": "20s", "target": 10, "name": "before"},
                {"duration": "30s", "target": 40, "ramp": "step", "name": "spike"},
                {"duration": "10s", "target": 10, "ramp": "step", "name": "after"},
            ],
        },
        "recovery": {"spike": "spike", "condition": ["p(95)<100"], "hold": "5s", "deadline": "20s"},
    }
)


def make(kind, bad_until, base_ms=20.0, throttled_per_s=0, seed=1, wcu=None):
    rng = np.random.default_rng(seed)
    b = ResultBuilder(
        SCENARIO,
        load_system("staging"),
        kind,
        make_provenance(
            target="model" if kind == "predicted" else "local", backend=None, seed=seed
        ),
    )
    for t in range(60):
        n = int(SCENARIO.rate_at(t))
        b.offered(t, n)
        for _ in range(n):
            slow = 20 <= t < bad_until
            lat = float(rng.lognormal(np.log(base_ms * (8 if slow else 1)), 0.2))
            b.record(t + 0.5, "post_events", lat)
        if 20 <= t < bad_until:
            b.record(t + 0.5, "post_events", 1.0, ErrorClass.THROTTLED, throttled_per_s)
        b.figure(t, "lambda_concurrency", n * base_ms / 1000)
        if wcu is not None:
            b.figure(t, "ddb_provisioned_wcu", wcu(t))
            b.figure(t, "ddb_consumed_wcu", 2 * n)
    return b.build()


def test_identical_results_pass():
    p = make(ResultKind.PREDICTED, 30, throttled_per_s=5)
    o = make(ResultKind.OBSERVED, 30, throttled_per_s=5, seed=2)
    cmp = compare(p, o)
    assert cmp.passed, [(ln.figure, ln.phase, ln.predicted, ln.observed) for ln in cmp.failed]
    rec = cmp.line("recovery_s")
    assert rec.predicted == rec.observed == 10
    assert {ph.name for ph in cmp.phases} == {"before", "during", "after"}


def test_recovery_out_of_tolerance_fails():
    cmp = compare(make(ResultKind.PREDICTED, 30), make(ResultKind.OBSERVED, 45, seed=2))
    rec = cmp.line("recovery_s")
    assert (rec.predicted, rec.observed) == (10, 25)
    assert rec.verdict is Verdict.FAIL
    assert not cmp.passed


def test_recovery_tolerance_is_10_percent_or_5_s():
    cmp = compare(make(ResultKind.PREDICTED, 30), make(ResultKind.OBSERVED, 34, seed=2))
    assert cmp.line("recovery_s").verdict is Verdict.PASS  # 4 s < 5 s


def test_p95_tolerance_15_percent():
    cmp = compare(
        make(ResultKind.PREDICTED, 20, base_ms=20),
        make(ResultKind.OBSERVED, 20, base_ms=26, seed=2),
    )
    p95 = cmp.line("p95", "overall:post_events")
    assert p95.verdict is Verdict.FAIL and p95.delta_rel == pytest.approx(0.3, abs=0.05)
    loose = Tolerances(p95=Tolerance(rel=0.5))
    assert (
        compare(cmp.predicted, cmp.observed, loose).line("p95", "overall:post_events").verdict
        is Verdict.PASS
    )


def test_throttled_count_tolerance():
    cmp = compare(
        make(ResultKind.PREDICTED, 30, throttled_per_s=10),
        make(ResultKind.OBSERVED, 30, throttled_per_s=15, seed=2),
    )
    th = cmp.line("throttled", "during")
    assert (th.predicted, th.observed) == (100, 150)
    assert th.verdict is Verdict.FAIL


def test_null_is_not_compared():
    p = make(ResultKind.PREDICTED, 30, wcu=lambda t: 100 if t < 40 else 200)
    o = make(ResultKind.OBSERVED, 30, seed=2)
    ln = compare(p, o).line("max_provisioned_wcu", "overall")
    assert ln.observed is None and ln.verdict is Verdict.NULL


def test_cli_compare_exit_codes_and_outputs(tmp_path, capsys):
    p = save_result(make(ResultKind.PREDICTED, 30), tmp_path / "p.json")
    o_ok = save_result(make(ResultKind.OBSERVED, 30, seed=2), tmp_path / "o.json")
    o_bad = save_result(make(ResultKind.OBSERVED, 50, seed=2), tmp_path / "bad.json")
    assert main(["compare", str(p), str(o_ok), "--out", str(tmp_path / "cmp")]) == 0
    assert (tmp_path / "cmp" / "compare.md").read_text().count("| recovery_s |") == 1
    assert (tmp_path / "cmp" / "compare-overview.png").stat().st_size > 10_000
    assert main(["compare", str(p), str(o_bad)]) == 99
    assert "FAIL" in capsys.readouterr().out


def test_calibrate_fits_service_time_and_writes_valid_file(tmp_path):
    observed = make(ResultKind.OBSERVED, 30, base_ms=35.0, seed=3)
    cal = calibrate(observed, load_system("staging"))
    fitted = cal.system.lambda_.service_time_ms["post_events"]
    assert isinstance(fitted, LogNormal)
    assert fitted.median_ms == pytest.approx(35.0, rel=0.05)
    assert fitted.sigma == pytest.approx(0.2, abs=0.05)
    assert "lambda.service_time_ms.post_events" in cal.fitted
    assert "lambda.service_time_ms.get_inbox" in cal.kept
    path = write_system_file(cal, tmp_path / "calibrated.yaml", "run x")
    text = path.read_text()
    assert "# Fitted values and their sources:" in text and "p50" in text
    again = load_model(path, SystemConfig)
    assert again.lambda_.service_time_ms["post_events"] == fitted


def test_calibrate_rejects_predicted(tmp_path, capsys):
    p = save_result(make(ResultKind.PREDICTED, 30), tmp_path / "p.json")
    assert main(["calibrate", str(p), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "needs an observed result" in capsys.readouterr().err


def test_percentile_on_a_staircase_agrees_by_rank():
    """A p95 on a step edge of the predicted distribution agrees within one percentile point."""
    from scaling_lab.compare.core import Line
    from scaling_lab.result import LatencyHistogram

    predicted = LatencyHistogram()
    predicted.record(10.0, 9450)  # 94.5 % fast
    predicted.record(400.0, 550)  # a retry step
    p95 = predicted.percentile_ms(95)
    observed_p95 = 10.0  # the observed mix sits 0.6 points lower: p95 falls off the step
    rank = 100 * predicted.rank_of(observed_p95)
    assert rank == pytest.approx(94.5)
    tol = Tolerances().p95
    line = Line("p95", "overall:x", p95, observed_p95, tol, tol.allowed(p95), "ms", rank)
    assert line.delta_rel == pytest.approx(-0.975, abs=0.01)
    assert line.verdict is Verdict.PASS
    far = Line("p95", "overall:x", p95, observed_p95, tol, tol.allowed(p95), "ms", 90.0)
    assert far.verdict is Verdict.FAIL


def test_a_tolerance_of_infinity_is_refused(tmp_path, capsys):
    path = tmp_path / "tol.yaml"
    path.write_text("p95: {rel: .inf}\n")
    p = save_result(make(ResultKind.PREDICTED, 30), tmp_path / "p.json")
    o = save_result(make(ResultKind.OBSERVED, 30), tmp_path / "o.json")
    assert main(["compare", str(p), str(o), "--tolerances", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path}: p95.rel: must be a finite number, got inf"


def test_compare_refuses_swapped_or_repeated_or_unlike_results(tmp_path, capsys):
    """These passed: the observation first, one run twice, two scenarios."""
    p = save_result(make(ResultKind.PREDICTED, 30), tmp_path / "p.json")
    o = save_result(make(ResultKind.OBSERVED, 30, seed=2), tmp_path / "o.json")
    other = make(ResultKind.OBSERVED, 30, seed=3)
    renamed = other.model_copy(
        update={"scenario": other.scenario.model_copy(update={"name": "another"})}
    )
    q = save_result(renamed, tmp_path / "q.json")
    for args, needle in (
        ([o, p], "is observed; expected a prediction first, then the observation (swapped?)"),
        ([o, o], "given twice"),
        ([p, p], "given twice"),
        ([p, q], "the prediction is of scenario 'step'"),
    ):
        assert main(["compare", *map(str, args)]) == 2, args
        captured = capsys.readouterr()
        assert needle in captured.err and len(captured.err.strip().splitlines()) == 1, captured
        assert captured.out == ""
