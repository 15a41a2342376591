from __future__ import annotations

import itertools

import pytest
from app_fakes import FakeStore

from emulator.app.core import TriggersApi
from emulator.app.ids import new_event_id
from emulator.app.settings import AppSettings


@pytest.fixture
def settings() -> AppSettings:
    return AppSettings(cursor_secret="s" * 32, queue_url="http://q", max_body_bytes=2048)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def api(settings: AppSettings, store: FakeStore) -> TriggersApi:
    counter = itertools.count(1)
    return TriggersApi(
        settings, store, new_id=lambda: new_event_id(now_ms=1_700_000_000_000 + next(counter))
    )  # type: ignore[arg-type]
