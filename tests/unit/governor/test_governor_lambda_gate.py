"""The Lambda gate: warm pool, cold starts, caps, scaling rate, RPS cap, throttle answers."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from governor_helpers import make_governor

from emulator.governor.lambda_gate import LambdaGate, throttle_response
from scaling_lab.aws import ThrottleCause
from scaling_lab.system import FrontDoorKind, load_system


def test_throttle_answers_per_front_door():
    status, body, headers = throttle_response(
        FrontDoorKind.FUNCTION_URL, ThrottleCause.LAMBDA_CONCURRENCY, True
    )
    assert status == 429 and headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert body["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    status, _, _ = throttle_response(
        FrontDoorKind.API_GATEWAY, ThrottleCause.LAMBDA_CONCURRENCY, True
    )
    assert status == 500
    status, body, _ = throttle_response(FrontDoorKind.API_GATEWAY, ThrottleCause.FRONT_DOOR, False)
    assert (status, body) == (429, {"message": "Too Many Requests"})


async def _slow_app(scope, receive, send):
    await asyncio.sleep(0.2)
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.mark.parametrize(("kind", "throttle_status"), [("function_url", 429), ("api_gateway", 500)])
def test_gate_throttles_over_the_cap_as_the_front_door_does(
    clock, app_settings, kind, throttle_status
):
    base = load_system("staging")
    system = base.model_copy(
        update={
            "front_door": base.front_door.model_copy(update={"kind": kind}),
            "lambda_": base.lambda_.model_copy(
                update={"reserved_concurrency": 2, "provisioned_concurrency": 2}
            ),
        }
    )
    g = make_governor(clock, app_settings, system)
    gate = LambdaGate(_slow_app, g)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return list(await asyncio.gather(*(c.post("/v1/events") for _ in range(4))))

    statuses = sorted(r.status_code for r in asyncio.run(run()))
    assert statuses == sorted([202, 202, throttle_status, throttle_status])
    assert g.counters.totals["lambda_invocations"] == 2
    assert g.counters.totals["lambda_throttles"] == 2
    assert g.counters.throttles_by_cause == {"lambda_concurrency": 2}


def test_control_endpoint_serves_per_second_counters(clock, app_settings):
    g = make_governor(clock, app_settings)
    gate = LambdaGate(_slow_app, g)

    async def run() -> dict:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            started = (await c.post("/_governor/start")).json()
            await c.post("/v1/events")
            doc = (await c.get("/_governor/metrics")).json()
            return {"started": started, "doc": doc}

    out = asyncio.run(run())
    assert out["started"]["t0_epoch_s"] == clock()
    (sec,) = out["doc"]["seconds"]
    assert sec["epoch_s"] == int(clock()) and sec["lambda_invocations"] == 1
    assert "cold_starts" not in sec  # the provisioned environment is warm
    json.dumps(out["doc"])


def test_lambda_errors_fault_answers_500_without_running_the_handler(clock, app_settings):
    from scaling_lab.scenario.models import Fault

    g = make_governor(
        clock, app_settings, faults=[Fault(kind="lambda_errors", at="0s", duration="60s", rate=1.0)]
    )
    ran: list[int] = []

    async def app(scope, receive, send):
        ran.append(1)
        await _slow_app(scope, receive, send)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=LambdaGate(app, g))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            await c.post("/_governor/start")
            return [(await c.post("/v1/events")).status_code for _ in range(3)]

    assert asyncio.run(run()) == [500, 500, 500]
    assert ran == [] and g.counters.totals["lambda_injected_errors"] == 3
    assert g.pool.busy == 0  # environments released


def test_start_takes_the_fault_timeline_and_refuses_a_bad_one(clock, app_settings):
    g = make_governor(clock, app_settings)
    gate = LambdaGate(_slow_app, g)

    async def run() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            good = await c.post(
                "/_governor/start",
                json={
                    "faults": [{"kind": "lambda_errors", "at": "5s", "duration": "1s", "rate": 0.5}]
                },
            )
            bad = await c.post("/_governor/start", json={"faults": [{"kind": "nope"}]})
            return good, bad

    good, bad = asyncio.run(run())
    assert good.status_code == 200 and good.json()["faults"] == 1
    assert g.timeline.journal[0].fault.at_s == 5.0
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"


def test_a_cold_start_storm_recycles_the_gates_environments(clock, app_settings):
    from scaling_lab.scenario.models import Fault

    g = make_governor(clock, app_settings)
    storm = Fault.model_validate({"kind": "cold_start_storm", "at": "2s", "duration": "3s"})
    t0 = g.start(faults=[storm])
    assert g.pool.admit(t0 + 0.5, 3).admitted == 3
    g.pool.release(t0 + 0.6, 3)
    assert g.pool.idle >= 3
    g.sync(t0 + 2.5)  # the storm is on: every idle environment gone
    assert g.pool.recycling and g.pool.idle == 0
    assert g.pool.admit(t0 + 2.6, 2).cold == 2
    g.sync(t0 + 5.5)  # rolled back
    assert not g.pool.recycling
