"""The governor's fault API (``/_governor/faults``): add faults from now, list the active
ones, clear them (a throttle storm's capacity back at once), refuse a bad body naming it."""

from __future__ import annotations

import json

import pytest
from governor_helpers import make_governor

from emulator.governor.control import handle_control


def _call(g, method: str, name: str, body: object = None):  # type: ignore[no-untyped-def]
    raw = b"" if body is None else json.dumps(body).encode()
    return handle_control(g, method, g.settings.control_prefix + name, b"", raw)


def test_inject_from_now_then_clear(clock, app_settings):
    g = make_governor(clock, app_settings)
    _call(g, "POST", "start")
    clock.advance(7.3)
    storm = {"kind": "throttle_storm", "at": "1s", "duration": "30s", "capacity_factor": 0.25}
    status, body = _call(g, "POST", "faults", {"faults": [storm], "from_now": True})
    assert status == 200 and body["run_time_s"] == pytest.approx(7.3) and body["active"] == []
    clock.advance(1.5)  # from now: active from run time 8.3 s, not 1 s
    g.sync(clock())
    assert _call(g, "GET", "faults")[1]["active"] == [0]
    assert g.capacity.storm == 0.25
    status, body = _call(g, "POST", "faults/clear")
    assert status == 200 and body["cleared"] == [0] and body["active"] == []
    assert g.capacity.storm == 1.0  # capacity back at the clear, not at the next tick
    (rec,) = g.snapshot().faults
    assert rec.rolled_back_epoch_s == clock()  # rolled back at the clear, not at 38.3 s


def test_a_bad_fault_is_a_400_naming_the_field(clock, app_settings):
    g = make_governor(clock, app_settings)
    status, body = _call(g, "POST", "faults", {"faults": [{"kind": "meteor", "at": 0}]})
    assert status == 400 and "kind" in body["message"]
    status, body = _call(g, "POST", "faults", {"fault": []})
    assert status == 400 and 'expected {"faults": [...]}' in body["message"]
