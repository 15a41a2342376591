"""Fixtures of the governor's unit tests."""

from __future__ import annotations

import pytest
from governor_helpers import FakeClock, make_app_settings

from emulator.app.settings import AppSettings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_settings() -> AppSettings:
    return make_app_settings()
