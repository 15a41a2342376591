"""Hostile requests for the Triggers API, beyond what its OpenAPI document describes.

Shared by the unit fuzz test (ASGI app on an in-memory store that refuses what DynamoDB
refuses) and the integration one (the real stack). Every answer must be below 500 and a strict
JSON document (RFC 8259: no NaN or Infinity tokens).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

__all__ = ["CRAFTED", "assert_strict_json_answer", "requests"]

_EVENT_HEAD = b'{"event_type":"order.created","timestamp":"2026-01-01T00:00:00Z","payload":'

# Numbers and constants Python's json reads but JSON does not have, or cannot be stored.
_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e308", "5e-324", "-0", "1E5"]
# Text that is not plain ASCII: Unicode digits, control characters, surrogate escapes.
_TEXTS = ["\u00b2", "\u0661", "\uff15", "\x00", "\x1f", "\u2028", "\U0001f600", "\u00e9", "\ud800"]
_ESCAPES = ["\\ud800", "\\udfff", "\\u0000", "\\ud83d\\ude00"]

#: (method, path, query, headers, body): each case a past or plausible defect.
CRAFTED: list[tuple[str, str, dict[str, str], dict[str, str], bytes]] = [
    *[("GET", "/v1/inbox", {"limit": t}, {}, b"") for t in ["\u00b2", "\u0661", "\uff15", "5\n"]],
    *[
        ("GET", "/v1/inbox", {"event_type": t}, {}, b"")
        for t in ["a.b\n", "a.b\r\n", "\x00", "\u00e9"]
    ],
    ("GET", "/v1/inbox", {"cursor": "\u00e9" * 10}, {}, b""),
    ("GET", "/v1/inbox", {"cursor": "x" * 5000}, {}, b""),
    *[
        ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b'{"n":' + n.encode() + b"}}")
        for n in _NUMBERS
    ],
    *[
        ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b'{"s":"' + e.encode() + b'"}}')
        for e in _ESCAPES
    ],
    ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b'{"k":"\xff\xfe"}}'),  # not UTF-8
    # Oversize multi-byte bodies: 190 KB of 2-, 3- and 4-byte characters, and escapes of them.
    *[
        (
            "POST",
            "/v1/events",
            {},
            {},
            _EVENT_HEAD
            + json.dumps({"t": c * (190_000 // len(c.encode()))}, ensure_ascii=False).encode()
            + b"}",
        )
        for c in ["\u00e9", "\u20ac", "\U0001f600"]
    ],
    ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b'{"t":"' + b"\\u00e9" * 33_000 + b'"}}'),
    ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b'{"n":[' + b",".join([b"1E5"] * 49_000) + b"]}}"),
    ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("POST", "/v1/events", {}, {}, _EVENT_HEAD + b'{"i":' + b"9" * 5000 + b"}}"),
    ("POST", "/v1/events", {}, {"idempotency-key": "\u00e9\u00b2"}, _EVENT_HEAD + b"{}}"),
    ("POST", "/v1/events", {}, {"x-correlation-id": "\u00e9"}, _EVENT_HEAD + b"{}}"),
    ("POST", "/v1/events", {}, {"x-api-key": "\u00e9" * 300}, _EVENT_HEAD + b"{}}"),
    ("POST", "/v1/events/evt_01HF7YAT01EQ00S832SF7EQ19P\n/ack", {}, {}, b""),
    ("POST", "/v1/events/\u00e9/ack", {}, {}, b""),
]


def _json_value(depth: int = 3) -> st.SearchStrategy[bytes]:
    scalars = st.one_of(
        st.sampled_from([n.encode() for n in _NUMBERS]),
        st.integers(min_value=-(10**30), max_value=10**30).map(lambda i: str(i).encode()),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: repr(f).encode()),
        st.text(alphabet=st.sampled_from(_TEXTS + list('ab"\\')), max_size=8).map(
            lambda t: json.dumps(t, ensure_ascii=False).encode("utf-8", "surrogatepass")
        ),
        st.sampled_from([f'"{e}"'.encode() for e in _ESCAPES]),
        st.sampled_from([b"true", b"null"]),
    )
    if depth == 0:
        return scalars
    inner = _json_value(depth - 1)
    return st.one_of(
        scalars,
        st.lists(inner, max_size=3).map(lambda xs: b"[" + b",".join(xs) + b"]"),
        st.lists(inner, max_size=3).map(
            lambda xs: b"{" + b",".join(b'"k%d":' % i + x for i, x in enumerate(xs)) + b"}"
        ),
    )


def _event_body() -> st.SearchStrategy[bytes]:
    weird = st.text(alphabet=st.sampled_from(_TEXTS + list("a.b:-_9")), min_size=0, max_size=6)
    return st.tuples(
        st.one_of(st.just("order.created"), weird),
        st.one_of(st.just("2026-01-01T00:00:00Z"), weird, st.just("9999-12-31T23:59:59+23:59")),
        _json_value(),
    ).map(
        lambda t: (
            b'{"event_type":'
            + json.dumps(t[0]).encode()
            + b',"timestamp":'
            + json.dumps(t[1]).encode()
            + b',"payload":{"v":'
            + t[2]
            + b"}}"
        )
    )


def requests() -> st.SearchStrategy[tuple[str, str, dict[str, str], dict[str, str], bytes]]:
    """Random requests to every route, with hostile query values, headers and bodies."""
    weird = st.text(alphabet=st.sampled_from(_TEXTS + list("05a.\n")), max_size=5)
    inbox = st.tuples(
        st.just("GET"),
        st.just("/v1/inbox"),
        st.dictionaries(st.sampled_from(["limit", "event_type", "cursor"]), weird, max_size=3),
        st.just({}),
        st.just(b""),
    )
    post = st.tuples(
        st.just("POST"),
        st.just("/v1/events"),
        st.just({}),
        st.one_of(
            st.just({}),
            st.sampled_from(["k1", "k2"]).map(lambda k: {"idempotency-key": k}),
        ),
        _event_body(),
    )
    ack = st.tuples(
        st.just("POST"),
        weird.map(lambda t: f"/v1/events/evt_{t}/ack"),
        st.just({}),
        st.just({}),
        st.just(b""),
    )
    return st.one_of(inbox, post, ack)


def assert_strict_json_answer(status: int, body: bytes, what: Any) -> None:
    """Below 500, and a JSON document a standard client can read."""
    assert status < 500, (status, body[:300], what)

    def refuse(token: str) -> Any:
        raise AssertionError(f"non-JSON token {token} in answer to {what!r}")

    json.loads(body, parse_constant=refuse)
