"""Options are checked before any work: verify's --target and --backend before its prediction
(which left predicted.json behind), run --dry-run's --max-rate before the script is printed,
chaos run --dry-run's URL and --max-rate before its plan (they gave exit 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

import scaling_lab.model
from scaling_lab.cli.main import main

CHAOS_URL = ["chaos", "run", "backend-restart", "--target", "http://127.0.0.1:8080"]


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model ran before the options were checked")

    monkeypatch.setattr(scaling_lab.model, "predict", refuse)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["verify", "smoke", "--target", "ftp://x"], "error: --target 'ftp://x': expected"),
        (["verify", "smoke", "--target", "http://127.0.0.1:99999"], "the port must be 1..65535"),
        (["verify", "smoke", "--backend", "bogus"], "error: --backend: expected one of auto"),
        (["run", "smoke", "--backend", "bogus", "--no-live"], "error: --backend: expected one"),
        (["run", "smoke", "--dry-run", "--max-rate", "-1"], "error: --max-rate: expected a"),
        (["run", "smoke", "--dry-run", "--max-rate", "nan"], "got nan"),
        (["run", "smoke", "--dry-run", "--max-rate", "5"], "exceeds --max-rate 5.0"),
        (
            ["chaos", "run", "backend-restart", "--target", "http://127.0.0.1:99999", "--dry-run"],
            "the port must be 1..65535",
        ),
        (
            [*CHAOS_URL, "--dry-run", "--max-rate", "-1"],
            "error: --max-rate: expected a number > 0",
        ),
    ],
)
def test_a_bad_option_is_refused_before_any_work(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_model: None,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err, captured.err
    assert captured.out == "", captured.out[:200]  # no script, no plan
    assert not (tmp_path / "out").exists()  # no predicted.json left behind
