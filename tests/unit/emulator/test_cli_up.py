"""`scaling-lab up` / `audit` helpers that need no running stack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emulator.stack import read_accepted_ids as _read_accepted
from scaling_lab.cli.main import main
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


@pytest.mark.parametrize("where", ["under-a-file", "a-folder", "read-only"])
def test_up_state_file_that_cannot_be_written_is_exit_2_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
):
    import emulator.stack

    started: list[object] = []
    monkeypatch.setattr(emulator.stack.Stack, "start", lambda self: started.append(self))
    (tmp_path / "afile").write_text("x")
    (tmp_path / "ro").mkdir(mode=0o500)
    state = {
        "under-a-file": tmp_path / "afile" / "stack.json",
        "a-folder": tmp_path,
        "read-only": tmp_path / "ro" / "stack.json",
    }[where]
    if where == "read-only" and os.access(tmp_path / "ro", os.W_OK):
        pytest.skip("running as a user who can write in a mode-0500 folder (root)")
    code = main(["up", "--backend", "embedded", "--state-file", str(state)])
    err = capsys.readouterr().err
    assert code == 2 and "--state-file" in err and "Traceback" not in err
    assert started == []


def test_paths_layer_names_the_option(tmp_path: Path):
    from scaling_lab.cli.paths import writable_dir, writable_file

    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match=r"^--out: .*f is a file; expected a folder"):
        writable_dir(tmp_path / "f", "--out")
    with pytest.raises(InputError, match=r"^--out: cannot write in .*f/sub"):
        writable_dir(tmp_path / "f" / "sub", "--out")
    with pytest.raises(InputError, match=r"^--state-file: .* is a folder"):
        writable_file(tmp_path, "--state-file")
    # checked, not made: a run its later checks refuse leaves nothing behind
    assert not writable_dir(tmp_path / "new" / "deep", "--out").exists()
    assert writable_dir(tmp_path / "new" / "deep", "--out", create=True).is_dir()
