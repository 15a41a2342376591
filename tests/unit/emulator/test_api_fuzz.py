"""Fuzz the ASGI app (in-memory store that refuses what DynamoDB refuses): no 5xx, strict JSON."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from api_fuzz import CRAFTED, assert_strict_json_answer, requests
from app_fakes import FakeStore
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from emulator.app.asgi import create_app
from emulator.app.core import TriggersApi
from emulator.app.settings import AppSettings


@pytest.fixture(scope="module")
def client():
    app_settings = AppSettings(cursor_secret="s" * 32, queue_url="http://q")
    app = create_app(app_settings, api=TriggersApi(app_settings, FakeStore()))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _send(client, case):
    method, path, query, headers, body = case
    h = {"x-api-key": "key-a", "content-type": "application/json", **headers}
    h = {
        k: v.encode("utf-8", "surrogatepass") for k, v in h.items()
    }  # raw bytes: clients can send any
    raw = {k: v.encode("utf-8", "surrogatepass") for k, v in query.items()}
    url = quote(path.encode("utf-8", "surrogatepass")) + ("?" + urlencode(raw) if raw else "")
    resp = client.request(method, url, headers=h, content=body)
    return resp.status_code, resp.content


@pytest.mark.parametrize("case", CRAFTED, ids=range(len(CRAFTED)))
def test_crafted_hostile_requests(client, case):
    assert_strict_json_answer(*_send(client, case), case)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=requests())
def test_random_hostile_requests(client, case):
    assert_strict_json_answer(*_send(client, case), case)
