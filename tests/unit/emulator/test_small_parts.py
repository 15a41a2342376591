"""Cursor, ids, API keys, the Lambda adapter, settings, extensions."""

from __future__ import annotations

import base64
import json

import pytest

from emulator.app.cursor import decode_cursor, encode_cursor
from emulator.app.errors import ApiError
from emulator.app.extensions import AppContext, load_extensions
from emulator.app.ids import EVENT_ID_RE, new_event_id
from emulator.app.keys import ApiKeyResolver, generate_api_key, hash_api_key
from emulator.app.lambda_handler import handler
from emulator.app.settings import ENV_VAR, AppSettings

SECRET = b"k" * 32


def test_cursor_round_trip():
    cur = encode_cursor(SECRET, "t1", None, "evt_X")
    assert decode_cursor(SECRET, cur, "t1", None) == "evt_X"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c + "x",
        lambda c: c.replace(".", ""),
        lambda c: "A" + c[1:] if c[0] != "A" else "B" + c[1:],
        lambda c: "garbage",
        lambda c: "",
        lambda c: "fZ\u0095.\u00ddQ",  # non-ASCII (found by schemathesis)
        # body re-encoded with another position but the old signature
        lambda c: (
            base64.urlsafe_b64encode(json.dumps({"t": "t1", "e": None, "k": "evt_Z"}).encode())
            .decode()
            .rstrip("=")
            + "."
            + c.split(".")[1]
        ),
    ],
)
def test_tampered_cursor_is_rejected(mutate):
    cur = encode_cursor(SECRET, "t1", None, "evt_X")
    with pytest.raises(ApiError) as info:
        decode_cursor(SECRET, mutate(cur), "t1", None)
    assert info.value.status == 400


def test_cursor_is_bound_to_tenant_and_filter():
    cur = encode_cursor(SECRET, "t1", "a.b", "evt_X")
    for tenant, event_type in (("t2", "a.b"), ("t1", None), ("t1", "c.d")):
        with pytest.raises(ApiError):
            decode_cursor(SECRET, cur, tenant, event_type)
    with pytest.raises(ApiError):
        decode_cursor(b"other" * 8, cur, "t1", "a.b")


def test_event_ids_sort_by_time_and_match_format():
    early = new_event_id(now_ms=1_000, randomness=b"\xff" * 10)
    late = new_event_id(now_ms=1_001, randomness=b"\x00" * 10)
    assert early < late
    assert EVENT_ID_RE.match(early) and EVENT_ID_RE.match(new_event_id())


def test_api_keys_are_random_and_stored_hashed():
    a, b = generate_api_key(), generate_api_key()
    assert a != b
    assert hash_api_key(a) != a and len(hash_api_key(a)) == 64


def test_resolver_caches_hits_longer_than_misses():
    calls: list[str] = []
    now = [0.0]

    def lookup(key_hash: str) -> str | None:
        calls.append(key_hash)
        return "t1" if key_hash == hash_api_key("good") else None

    resolver = ApiKeyResolver(lookup, ttl_s=60, clock=lambda: now[0])
    assert resolver.resolve("good") == "t1" and resolver.resolve("bad") is None
    now[0] = 10.0  # miss expired (2 s), hit still cached (60 s)
    resolver.resolve("good"), resolver.resolve("bad")
    assert len(calls) == 3
    now[0] = 61.0
    resolver.resolve("good")
    assert len(calls) == 4


def test_lambda_handler_speaks_payload_v2(api, store):
    event = {
        "version": "2.0",
        "rawPath": "/v1/events",
        "headers": {"Content-Type": "application/json", "X-API-Key": "key-a"},
        "requestContext": {"http": {"method": "POST", "path": "/v1/events"}},
        "body": base64.b64encode(
            json.dumps(
                {"event_type": "x.y", "timestamp": "2026-01-01T00:00:00+02:00", "payload": {}}
            ).encode()
        ).decode(),
        "isBase64Encoded": True,
    }
    resp = handler(event, None, api=api)
    assert resp["statusCode"] == 202
    assert json.loads(resp["body"])["event_id"] in store.enqueued
    bad = handler({**event, "body": "{", "isBase64Encoded": False}, None, api=api)
    assert bad["statusCode"] == 400 and "error" in json.loads(bad["body"])


def test_settings_round_trip_through_environment():
    s = AppSettings(cursor_secret="x" * 16, queue_url="http://q", extensions=("m:f",))
    assert AppSettings.from_env(s.to_env()) == s
    with pytest.raises(KeyError, match=ENV_VAR):
        AppSettings.from_env({})


def test_extensions_add_middleware_and_client_hooks(monkeypatch):
    import types

    mod = types.ModuleType("fake_ext")

    def extend(ctx: AppContext) -> None:
        ctx.client_hooks.append(lambda service, client: None)
        ctx.state["system"] = ctx.system_json

    mod.extend = extend  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "fake_ext", mod)
    s = AppSettings(cursor_secret="x" * 16, extensions=("fake_ext:extend",), system_json="{}")
    ctx = load_extensions(s)
    assert len(ctx.client_hooks) == 1 and ctx.state["system"] == "{}"
    with pytest.raises(ValueError, match="module:function"):
        load_extensions(AppSettings(cursor_secret="x" * 16, extensions=("nocolon",)))


def test_client_hooks_see_both_clients():
    from emulator.app.clients import build_clients

    seen: list[str] = []

    def hook(service: str, client: object) -> None:
        seen.append(service)
        client.meta.events.register("before-send.dynamodb", lambda **kw: None)  # type: ignore[attr-defined]

    s = AppSettings(
        cursor_secret="x" * 16,
        dynamodb_endpoint="http://127.0.0.1:9",
        sqs_endpoint="http://127.0.0.1:9",
    )
    clients = build_clients(s, [hook])
    assert seen == ["dynamodb", "sqs"]
    assert clients.dynamodb.meta.config.retries["mode"] == "standard"


class _QueryRecorder:
    def __init__(self, items: int) -> None:
        self.calls: list[dict[str, object]] = []
        self.items = items

    def query(self, **kwargs: object) -> dict[str, object]:
        self.calls.append(kwargs)
        limit = int(kwargs["Limit"])  # type: ignore[call-overload]
        item = {
            "sk": {"S": "evt_1"},
            "event_type": {"S": "a"},
            "timestamp": {"S": "t"},
            "received_at": {"S": "r"},
            "payload": {"S": "{}"},
        }
        return {
            "Items": [item] * min(limit, self.items),
            "LastEvaluatedKey": {"sk": {"S": "evt_1"}},
        }


@pytest.mark.parametrize(("event_type", "index"), [(None, "inbox"), ("a.b", "inbox_by_type")])
def test_inbox_is_one_keyed_query_without_filter(event_type, index):
    from emulator.app.clients import AwsClients
    from emulator.app.store import EventStore

    ddb = _QueryRecorder(items=500)
    store = EventStore(AppSettings(cursor_secret="x" * 16), AwsClients(dynamodb=ddb, sqs=None))
    events, last = store.query_inbox("t1", event_type, 50, after_key="evt_0")
    (call,) = ddb.calls
    assert call["IndexName"] == index and call["Limit"] == 50 and len(events) == 50
    assert "FilterExpression" not in call and call["ScanIndexForward"] is True
    assert call["ExclusiveStartKey"]["sk"] == {"S": "evt_0"}  # type: ignore[index]
    assert last == "evt_1"
