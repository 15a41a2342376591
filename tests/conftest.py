"""Suite-wide settings: tests never write into the project's own run history."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_project_history(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests that exercise the history unset this or pass their own store path.
    monkeypatch.setenv("SCALING_LAB_NO_HISTORY", "1")
