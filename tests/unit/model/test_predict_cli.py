"""``scaling-lab predict``: writes the result, prints the summary, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.result.io import load_result


def test_predict_writes_a_result_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["predict", "spike-many-tenants", "--system", "spike-ready", "--scale", "0.05"]
    code = main([*args, "--out", str(tmp_path)])
    assert code == 0
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    result = load_result(files[0])
    assert result.kind.value == "predicted" and result.provenance.scale == pytest.approx(0.05)
    assert "spike-many-tenants" in capsys.readouterr().out


def test_json_summary_with_intervals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALING_LAB_RUNS", "2")
    monkeypatch.setenv("SCALING_LAB_SEED", "5")
    code = main(["predict", "smoke", "--json", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["requests"] > 0 and "latency_ms.p95" in data["intervals"]


def test_failed_thresholds_exit_99(tmp_path: Path) -> None:
    scenario = tmp_path / "strict.yaml"
    scenario.write_text(
        "name: strict\ntraffic: {start_rate: 50, stages: [{duration: 5s, target: 50}]}\n"
        "thresholds: {post_events: ['p(95)<1']}\n",
        encoding="utf-8",
    )
    system = Path(__file__).resolve().parents[3] / "scenarios" / "systems" / "staging.yaml"
    code = main(["predict", str(scenario), "--system", str(system), "--out", str(tmp_path)])
    assert code == 99


def test_bad_mode_is_exit_2(tmp_path: Path) -> None:
    assert main(["predict", "smoke", "--mode", "slow", "--out", str(tmp_path)]) == 2


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--seed", "-1"], "--seed"),
        (["--seed", str(2**64)], "--seed"),
        (["--seed", "4294967295", "--runs", "2"], "runs: seeds 4294967295..4294967296"),
        (["--scale", "1000"], "scale x1000: peak 10,000,000 req/s"),
    ],
)
def test_options_out_of_bounds_are_exit_2_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(["predict", "spike", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "internal error" not in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("scale", ["5000", "1e300", "1e-300"])
def test_scale_outside_run_s_bounds_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scale: str
) -> None:
    assert main(["predict", "smoke", "--scale", scale, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--scale" in err and "internal error" not in err and "0" * 20 not in err
    assert not list(tmp_path.iterdir())


def test_a_scale_on_top_of_the_file_s_is_validated_like_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """File scale 10 x --scale 200 is 2000: refused, not a result nothing can read."""
    smoke = Path(__file__).resolve().parents[3] / "scenarios" / "smoke.yaml"
    scenario = tmp_path / "scaled.yaml"
    scenario.write_text(smoke.read_text() + "scale: 10\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["predict", str(scenario), "--scale", "200", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: scale x200: scale: Input should be less than or equal to 1000 (got 2000.0)"
    )
    assert not out.exists() or not list(out.iterdir())
