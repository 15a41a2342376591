"""`scaling-lab up` / `audit` helpers that need no running stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.cli.up import _read_accepted
from scaling_lab.errors import InputError


def test_accepted_file_takes_plain_ids_and_json_lines(tmp_path: Path):
    path = tmp_path / "ids.txt"
    path.write_text('evt_A\n\n{"event_id": "evt_B", "status": 202}\n  evt_C  \n')
    assert _read_accepted(path) == ["evt_A", "evt_B", "evt_C"]


@pytest.mark.parametrize("line", ['{"event_id": 5}', "{not json"])
def test_bad_accepted_line_names_file_and_line(tmp_path: Path, line: str):
    path = tmp_path / "ids.txt"
    path.write_text("evt_A\n" + line + "\n")
    with pytest.raises(InputError, match=r"ids.txt:2"):
        _read_accepted(path)


def test_audit_without_state_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["audit", "--state-file", str(tmp_path / "missing.json")]) == 2
    assert "scaling-lab up" in capsys.readouterr().err


def test_up_with_unknown_backend_exits_2_before_starting_anything(tmp_path: Path):
    assert main(["up", "--backend", "nope", "--state-file", str(tmp_path / "s.json")]) == 2
    assert not (tmp_path / "s.json").exists()
