"""The Lambda gate: execution environments, cold starts and throttles in front of the handler.

:class:`LambdaGate` is ASGI middleware that admits every request through the rulebook's
:class:`scaling_lab.aws.LambdaEnvironments` (the same state machine the model drives: scaling
rate, caps, request rate, provisioned concurrency, idle reclaim) and answers throttles as the
system file's front door does.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from emulator.governor.control import handle_control
from scaling_lab.aws import ThrottleCause
from scaling_lab.aws.metrics import Figure
from scaling_lab.scenario.models import FaultKind
from scaling_lab.system.models import FrontDoorKind

if TYPE_CHECKING:
    from emulator.governor.runtime import Governor

__all__ = ["LambdaGate", "throttle_response"]

# TooManyRequestsException reasons: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
_REASONS = {
    (ThrottleCause.LAMBDA_CONCURRENCY, True): "ReservedFunctionConcurrentInvocationLimitExceeded",
    (ThrottleCause.LAMBDA_CONCURRENCY, False): "ConcurrentInvocationLimitExceeded",
    (ThrottleCause.LAMBDA_SCALING_RATE, True): "ReservedFunctionConcurrentInvocationLimitExceeded",
    (ThrottleCause.LAMBDA_SCALING_RATE, False): "ConcurrentInvocationLimitExceeded",
    (ThrottleCause.LAMBDA_REQUEST_RATE, True): "ReservedFunctionInvocationRateLimitExceeded",
    (ThrottleCause.LAMBDA_REQUEST_RATE, False): "FunctionInvocationRateLimitExceeded",
}


def throttle_response(
    front_door: FrontDoorKind, cause: ThrottleCause, reserved: bool
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, JSON body, headers) a client receives for a throttle.

    Function URL: 429 with Lambda's TooManyRequestsException. API Gateway: its own throttle is
    429 ``Too Many Requests``; a Lambda throttle behind a proxy integration surfaces as 500
    -- https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html,
    https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
    """
    if cause is ThrottleCause.FRONT_DOOR:
        return 429, {"message": "Too Many Requests"}, {}
    if front_door == FrontDoorKind.API_GATEWAY:
        headers = {"x-amzn-ErrorType": "InternalServerErrorException"}
        return 500, {"message": "Internal Server Error"}, headers
    body = {
        "Reason": _REASONS[(cause, reserved)],
        "Type": "User",
        "message": "Rate Exceeded.",
    }
    return 429, body, {"x-amzn-ErrorType": "TooManyRequestsException"}


async def _send_json(send: Any, status: int, body: Any, headers: dict[str, str]) -> None:
    data = json.dumps(body, separators=(",", ":")).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class LambdaGate:
    """ASGI middleware: every API request passes the gate before the handler runs."""

    def __init__(self, app: Any, governor: Governor) -> None:
        self.app = app
        self.g = governor

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._lifespan_receive(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith(self.g.settings.control_prefix):
            status, body = handle_control(
                self.g,
                scope["method"],
                path,
                scope.get("query_string", b""),
                await _read_all(receive),
            )
            await _send_json(send, status, body, {})
            return
        if path in self.g.settings.exempt_paths:
            await self.app(scope, receive, send)
            return
        await self._invoke(scope, receive, send)

    def _lifespan_receive(self, receive: Any) -> Any:
        async def wrapped() -> Any:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, self.g.stop)
            return message

        return wrapped

    async def _invoke(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        g = self.g
        now = g.clock()
        g.ensure_started(now)
        t = g.run_time(now)
        kind = g.system.front_door.kind
        if kind == FrontDoorKind.API_GATEWAY and not g.front_door_admit(now):
            g.counters.throttle(now, ThrottleCause.FRONT_DOOR)
            await _send_json(send, *throttle_response(kind, ThrottleCause.FRONT_DOOR, False))
            return
        g.sync(now)
        adm = g.admit_lambda(now)
        if adm.cause is not None:
            g.counters.throttle(now, adm.cause)
            reserved = g.system.lambda_.reserved_concurrency is not None
            await _send_json(send, *throttle_response(kind, adm.cause, reserved))
            return
        try:
            g.counters.add(now, Figure.LAMBDA_INVOCATIONS)
            if adm.cold:
                g.counters.add(now, Figure.COLD_STARTS)
                await asyncio.sleep(g.sample_cold_start_ms() / 1000.0)
            fault = g.timeline.find(t, FaultKind.ADDED_LATENCY, "lambda")
            if fault is not None and fault.fault.latency_ms:
                g.timeline.hit(fault)
                await asyncio.sleep(fault.fault.latency_ms / 1000.0)
            fault = g.timeline.first(t, FaultKind.LAMBDA_ERRORS)
            if fault is not None and g.chance(fault.fault.rate or 0.0):
                # A function error before the handler touched anything (ASSUMPTION: both
                # front doors answer 500 for an unhandled function error).
                g.timeline.hit(fault)
                g.counters.add(now, Figure.LAMBDA_INJECTED_ERRORS)
                await _send_json(send, 500, {"message": "Internal Server Error"}, {})
                return
            await self.app(scope, receive, send)
        finally:
            g.release_lambda(g.clock())


async def _read_all(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
