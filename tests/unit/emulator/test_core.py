"""The handlers through TriggersApi.handle, on an in-memory store."""

from __future__ import annotations

import json

import pytest
from app_fakes import request

from emulator.app.core import TriggersApi

EVENT = {"event_type": "order.created", "timestamp": "2026-01-01T00:00:00Z", "payload": {"a": 1}}


def post(api: TriggersApi, body: object = EVENT, **kw: str):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.handle(request("POST", "/v1/events", raw, **kw))


def test_post_stores_enqueues_and_answers_202(api, store):
    resp = post(api, x_correlation_id="abc-123")
    assert resp.status == 202
    event_id = resp.body["event_id"]
    assert store.event_exists("tenant-a", event_id)
    assert store.enqueued == [event_id]
    assert resp.headers["x-correlation-id"] == "abc-123"


def test_correlation_id_is_created_when_missing_or_invalid(api):
    assert len(post(api).headers["x-correlation-id"]) == 32
    assert post(api, x_correlation_id="bad id\n").headers["x-correlation-id"] != "bad id\n"


@pytest.mark.parametrize("key", [None, "", "nope"])
def test_missing_or_unknown_key_is_401(api, store, key):
    resp = post(api, key=key)
    assert resp.status == 401
    assert resp.body["error"]["code"] == "unauthorized"
    assert not store.events


def test_key_lookups_are_cached(api, store):
    for _ in range(5):
        post(api)
    assert store.key_lookups == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**EVENT, "event_type": 5}, "event_type"),
        ({**EVENT, "event_type": "has space"}, "event_type"),
        ({**EVENT, "timestamp": "yesterday"}, "timestamp"),
        ({**EVENT, "timestamp": 1700000000}, "timestamp"),
        ({**EVENT, "timestamp": "2026-01-01T00:00:00"}, "timestamp"),  # no offset
        ({**EVENT, "payload": [1, 2]}, "payload"),
        ({k: v for k, v in EVENT.items() if k != "payload"}, "payload"),
        ({**EVENT, "extra": 1}, "extra"),
    ],
)
def test_invalid_fields_are_400_with_the_field_named(api, store, body, field):
    resp = post(api, body)
    assert resp.status == 400
    assert field in [d["field"] for d in resp.body["error"]["details"]]
    assert not store.events


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"\xff\xfe", b"[1]", b"null", b'"x"', b"[" * 1000 + b"]" * 1000]
)
def test_malformed_json_is_400(api, raw):
    resp = post(api, raw)
    assert resp.status == 400
    assert resp.body["error"]["code"] in {"malformed_json", "validation_error"}


def test_oversize_body_is_413(api, settings):
    big = {**EVENT, "payload": {"d": "x" * settings.max_body_bytes}}
    assert post(api, big).status == 413


@pytest.mark.parametrize("ctype", ["text/plain", "", "application/x-www-form-urlencoded"])
def test_non_json_content_type_is_415(api, ctype):
    assert post(api, content_type=ctype).status == 415


def test_json_content_type_with_charset_is_accepted(api):
    assert post(api, content_type="application/json; charset=utf-8").status == 202


def test_idempotency_key_stores_once(api, store):
    first = post(api, idempotency_key="k-1")
    second = post(api, idempotency_key="k-1")
    assert first.status == second.status == 202
    assert second.body["event_id"] == first.body["event_id"]
    assert second.body["duplicate"] is True
    assert len(store.events) == 1


def test_enqueue_failure_is_not_a_202_and_the_keyed_retry_finishes_it(api, store):
    store.fail_enqueue = True
    first = post(api, idempotency_key="k-q")
    assert first.status == 503 and first.body["error"]["code"] == "enqueue_failed"
    assert first.headers["retry-after"] == "1"
    assert len(store.events) == 1 and store.enqueued == []
    store.fail_enqueue = False
    retry = post(api, idempotency_key="k-q")
    assert retry.status == 202 and retry.body["duplicate"] is True
    assert store.enqueued == [retry.body["event_id"]] and len(store.events) == 1


def test_retry_after_a_crash_between_write_and_enqueue_enqueues_it(api, store):
    """The crash test's failure: the first request stored its item and died before SQS; the
    client's retry with the same Idempotency-Key must not answer 202 without enqueuing."""
    store.crash_after_put = ConnectionResetError("killed")
    assert post(api, idempotency_key="k-crash").status == 500  # the process "died" here
    assert store.enqueued == []
    retry = post(api, idempotency_key="k-crash")
    assert retry.status == 202 and retry.body["duplicate"] is True
    assert store.enqueued == [retry.body["event_id"]]
    assert len(store.events) == 1


def test_retry_after_a_crash_between_claim_and_write_stores_it_once(api, store):
    store.idem[("tenant-a", "k-early")] = ("evt_01HF7YAT01EQ00S832SF7EQ19P", None)
    retry = post(api, idempotency_key="k-early")
    assert retry.status == 202 and retry.body["event_id"] == "evt_01HF7YAT01EQ00S832SF7EQ19P"
    assert list(store.events) == [("tenant-a", "evt_01HF7YAT01EQ00S832SF7EQ19P")]
    assert store.enqueued == ["evt_01HF7YAT01EQ00S832SF7EQ19P"]


def test_same_idempotency_key_with_another_event_is_a_conflict(api, store):
    first = post(api, idempotency_key="k-c")
    assert first.status == 202
    other = post(api, {**EVENT, "payload": {"a": 2}}, idempotency_key="k-c")
    assert other.status == 409 and other.body["error"]["code"] == "idempotency_conflict"
    assert len(store.events) == 1 and store.enqueued == [first.body["event_id"]]
    # Same event, other key order and spacing: still the same request.
    same = json.dumps(
        {"payload": {"a": 1}, "timestamp": EVENT["timestamp"], "event_type": EVENT["event_type"]},
        indent=1,
    )
    assert post(api, same.encode(), idempotency_key="k-c").body["duplicate"] is True
    # The same key in another tenant is another key.
    assert (
        post(api, {**EVENT, "payload": {"a": 2}}, key="key-b", idempotency_key="k-c").status == 202
    )


def test_multibyte_payload_under_the_body_limit_is_stored_not_a_502(store):
    """UTF-8 text is stored as UTF-8: a 190 KB body under the 200,000-byte limit must not grow
    past the 400 KB item limit by escaping (each 2-byte character became a 6-byte \\uXXXX)."""
    from emulator.app.core import TriggersApi
    from emulator.app.settings import DEFAULT_MAX_BODY_BYTES, AppSettings

    api = TriggersApi(AppSettings(cursor_secret="s" * 32, queue_url="http://q"), store)  # type: ignore[arg-type]
    text = "\u00e9" * 95_000
    body = json.dumps({**EVENT, "payload": {"t": text}}, ensure_ascii=False).encode()
    assert 190_000 < len(body) <= DEFAULT_MAX_BODY_BYTES
    resp = post(api, body)
    assert resp.status == 202, resp.body
    inbox = api.handle(request("GET", "/v1/inbox")).body["events"]
    assert inbox[0]["payload"]["t"] == text


def test_event_stored_larger_than_the_item_limit_is_413_not_502(store):
    """Numbers are stored as Python writes them: '1e5' (3 bytes) is stored as '100000.0' (8)."""
    from emulator.app.core import TriggersApi
    from emulator.app.settings import AppSettings

    big = AppSettings(cursor_secret="s" * 32, queue_url="http://q", max_body_bytes=262_144)
    api = TriggersApi(big, store)  # type: ignore[arg-type]
    numbers = ",".join(["1e5"] * 60_000)
    head = b'{"event_type":"a.b","timestamp":"2026-01-01T00:00:00Z","payload":{"n":['
    body = head + numbers.encode() + b"]}}"
    assert len(body) < 262_144
    resp = post(api, body)
    assert resp.status == 413 and "409600" in resp.body["error"]["message"]
    assert not store.events and not store.idem


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_type":"a.b","timestamp":"2026-01-01T00:00:00Z","payload":{"x":NaN}}',
        b'{"event_type":"a.b","timestamp":"2026-01-01T00:00:00Z","payload":{"x":Infinity}}',
        b'{"event_type":"a.b","timestamp":"2026-01-01T00:00:00Z","payload":{"x":-Infinity}}',
        b'{"event_type":"a.b","timestamp":"2026-01-01T00:00:00Z","payload":{"x":1e999}}',
        b'{"event_type":"a.b","timestamp":"2026-01-01T00:00:00Z","payload":{"x":"\\ud800"}}',
    ],
)
def test_non_finite_numbers_and_lone_surrogates_are_400(api, store, raw):
    resp = post(api, raw)
    assert resp.status == 400, resp.body
    assert resp.body["error"]["details"][0]["field"] == "body"
    assert not store.events


def test_stored_payload_is_served_back_as_strict_json(api):
    post(api, {**EVENT, "payload": {"big": 1.5e308, "tiny": 5e-324, "text": "\u2603\n"}})
    body = api.handle(request("GET", "/v1/inbox")).body_bytes()
    json.loads(body, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))


def test_inbox_ack_cycle_and_tenant_isolation(api):
    ids = [post(api).body["event_id"] for _ in range(3)]
    inbox = api.handle(request("GET", "/v1/inbox"))
    assert [e["event_id"] for e in inbox.body["events"]] == ids
    assert api.handle(request("GET", "/v1/inbox", key="key-b")).body["events"] == []
    assert api.handle(request("POST", f"/v1/events/{ids[0]}/ack", key="key-b")).status == 404
    assert api.handle(request("POST", f"/v1/events/{ids[0]}/ack")).status == 200
    assert api.handle(request("POST", f"/v1/events/{ids[0]}/ack")).status == 200  # idempotent
    left = api.handle(request("GET", "/v1/inbox")).body["events"]
    assert [e["event_id"] for e in left] == ids[1:]


def test_inbox_pages_with_cursor_and_rejects_tampering(api):
    ids = [post(api).body["event_id"] for _ in range(5)]
    page1 = api.handle(request("GET", "/v1/inbox", query={"limit": "2"})).body
    page2 = api.handle(
        request("GET", "/v1/inbox", query={"limit": "2", "cursor": page1["next_cursor"]})
    ).body
    assert [e["event_id"] for e in page1["events"] + page2["events"]] == ids[:4]
    tampered = page1["next_cursor"][:-2] + (
        "AA" if not page1["next_cursor"].endswith("AA") else "BB"
    )
    bad = api.handle(request("GET", "/v1/inbox", query={"limit": "2", "cursor": tampered}))
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_cursor"
    other = api.handle(
        request("GET", "/v1/inbox", key="key-b", query={"cursor": page1["next_cursor"]})
    )
    assert other.status == 400


@pytest.mark.parametrize(
    "limit", ["0", "101", "-1", "abc", "1e2", "", "\u00b2", "\u0661", "\uff15", "5\n", " 5"]
)
def test_inbox_limit_out_of_range_is_400(api, limit):
    resp = api.handle(request("GET", "/v1/inbox", query={"limit": limit}))
    assert resp.status == 400
    assert resp.body["error"]["details"][0]["field"] == "limit"


@pytest.mark.parametrize("event_type", ["order.created\n", "order.created\r", "a b", "\u00e9"])
def test_inbox_event_type_with_a_trailing_newline_is_400(api, event_type):
    resp = api.handle(request("GET", "/v1/inbox", query={"event_type": event_type}))
    assert resp.status == 400
    assert resp.body["error"]["details"][0]["field"] == "event_type"


def test_posted_event_type_with_a_trailing_newline_is_400(api, store):
    assert post(api, {**EVENT, "event_type": "order.created\n"}).status == 400
    assert not store.events


def test_inbox_event_type_filter(api):
    post(api, {**EVENT, "event_type": "a.one"})
    b = post(api, {**EVENT, "event_type": "b.two"}).body["event_id"]
    got = api.handle(request("GET", "/v1/inbox", query={"event_type": "b.two"})).body["events"]
    assert [e["event_id"] for e in got] == [b]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/v1/events", 405),
        ("DELETE", "/v1/inbox", 405),
        ("POST", "/v1/events/not-an-id/ack", 404),
        ("POST", "/v1/events//ack", 404),
    ],
)
def test_unknown_routes_and_methods(api, method, path, status):
    resp = api.handle(request(method, path))
    assert resp.status == status
    assert "error" in resp.body


def test_openapi_document_lists_every_route(api):
    doc = api.handle(request("GET", "/openapi.json", key=None)).body
    assert set(doc["paths"]) == {"/v1/events", "/v1/inbox", "/v1/events/{event_id}/ack"}
    assert "EventIn" in doc["components"]["schemas"]


def test_openapi_document_lists_every_answer_post_can_give(api):
    """502 (backend error), 503 (throttled, unreachable, not queued) and 409 (key reused)."""
    doc = api.handle(request("GET", "/openapi.json", key=None)).body
    post_answers = set(doc["paths"]["/v1/events"]["post"]["responses"])
    assert {"202", "400", "401", "409", "413", "415", "502", "503"} <= post_answers
    for path, method in (("/v1/inbox", "get"), ("/v1/events/{event_id}/ack", "post")):
        assert {"502", "503"} <= set(doc["paths"][path][method]["responses"])
