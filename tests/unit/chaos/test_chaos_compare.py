"""``chaos compare``: predicted and observed journals paired per probe and phase."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from scaling_lab.chaos.compare import compare_journals, read_journal
from scaling_lab.cli.main import main

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("chaos")
    assert main(["chaos", "run", str(FIX / "lambda-errors.yaml"), "--out", str(out)]) == 98
    (found,) = out.glob("chaos-*/journal.json")
    return found


def _observed_from(journal: Path, tmp: Path, *, flip: str | None = None) -> Path:
    """The journal as an observation: the same numbers, or one probe's verdict flipped."""
    data = json.loads(journal.read_text())
    data["scaling_lab"]["target"] = "local"
    for state in [data["steady_states"]["before"], *data["steady_states"]["during"]]:
        for run in state["probes"]:
            out = run["output"]
            if flip and out["phase"].startswith("during") and run["activity"]["name"] == flip:
                out["verdict"] = "held" if out["verdict"] == "deviated" else "deviated"
                out["excess"] = {"mean": -0.5, "low": -0.5, "high": -0.5, "n": 1}
    path = tmp / "observed.json"
    path.write_text(json.dumps(data))
    return path


def test_the_same_outcome_agrees_everywhere(journal: Path, tmp_path: Path) -> None:
    cmp = compare_journals(read_journal(journal), read_journal(_observed_from(journal, tmp_path)))
    assert cmp.predicted_target == "model" and cmp.observed_target == "local"
    assert cmp.compared >= 6 and cmp.passed
    during = [p for p in cmp.pairs if p.phase.startswith("during") and p.probe == "error rate"]
    assert during[0].predicted is not None and during[0].predicted.verdict == "deviated"
    assert during[0].deviation_gap == 0
    assert main(["chaos", "compare", str(journal), str(_observed_from(journal, tmp_path))]) == 0


def test_two_predictions_or_swapped_journals_are_refused(
    journal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same prediction twice agreed with itself (exit 0); the order matters too."""
    observed = _observed_from(journal, tmp_path)
    for args, needle in (
        ([journal.parent, journal.parent], "the second journal is a --target model prediction"),
        ([observed, journal], "the first journal is of a local run, not a --target model"),
    ):
        assert main(["chaos", "compare", *map(str, args)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err


def test_a_verdict_that_differs_fails_the_comparison(journal: Path, tmp_path: Path) -> None:
    observed = _observed_from(journal, tmp_path, flip="error rate")
    cmp = compare_journals(read_journal(journal), read_journal(observed))
    (bad,) = [p for p in cmp.pairs if p.agree is False]
    assert bad.probe == "error rate" and bad.phase.startswith("during")
    assert bad.deviation_gap is not None and bad.deviation_gap < 0  # observed less far out
    assert not cmp.passed and cmp.agreed == cmp.compared - 1
    assert main(["chaos", "compare", str(journal), str(observed)]) == 99


def test_bad_journals_are_one_line_errors(
    journal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_json = tmp_path / "x.json"
    not_json.write_text("{nope")
    other = copy.deepcopy(json.loads(journal.read_text()))
    other["experiment"]["title"] = "another"
    other_path = tmp_path / "other.json"
    other_path.write_text(json.dumps(other))
    for args, needle in (
        ([str(tmp_path / "missing.json"), str(journal)], "no such journal"),
        ([str(not_json), str(journal)], "not a readable journal"),
        ([str(journal), str(other_path)], "experiment: the journals are of different"),
    ):
        assert main(["chaos", "compare", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err
