"""The Lambda gate: execution environments, cold starts and throttles in front of the handler.

:class:`EnvironmentPool` is the pure core (time passed in): a provisioned warm pool with
spillover to on-demand environments, the per-function scaling-rate bucket, the reserved or
account concurrency cap, the 10 x concurrency request-rate cap and idle reclaim.
:class:`LambdaGate` is ASGI middleware that applies it to every request and answers throttles
as the system file's front door does.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from emulator.governor.control import handle_control
from scaling_lab.model.capacity import TokenBucket
from scaling_lab.scenario.models import FaultKind
from scaling_lab.system.models import FrontDoorKind, LambdaConfig, ScalingRule

if TYPE_CHECKING:
    from emulator.governor.runtime import Governor

__all__ = ["EnvironmentPool", "LambdaGate", "ThrottleCause", "throttle_response"]

# Scaling: 1,000 new environments per 10 s per function, refilled continuously, unused
# allowance not accumulating beyond one interval; request rate capped at 10 x concurrency
# -- https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
# Legacy rule: initial burst then +legacy_per_minute per minute
# -- https://docs.aws.amazon.com/lambda/latest/dg/burst-concurrency.html (archived 2023)


class ThrottleCause(StrEnum):
    CONCURRENCY = "lambda_concurrency"
    SCALING_RATE = "lambda_scaling_rate"
    RPS = "lambda_rps"
    FRONT_DOOR = "front_door"


# TooManyRequestsException reasons: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
_REASONS = {
    (ThrottleCause.CONCURRENCY, True): "ReservedFunctionConcurrentInvocationLimitExceeded",
    (ThrottleCause.CONCURRENCY, False): "ConcurrentInvocationLimitExceeded",
    (ThrottleCause.SCALING_RATE, True): "ReservedFunctionConcurrentInvocationLimitExceeded",
    (ThrottleCause.SCALING_RATE, False): "ConcurrentInvocationLimitExceeded",
    (ThrottleCause.RPS, True): "ReservedFunctionInvocationRateLimitExceeded",
    (ThrottleCause.RPS, False): "FunctionInvocationRateLimitExceeded",
}


@dataclass
class Environment:
    """One execution environment."""

    provisioned: bool
    last_used_s: float


@dataclass
class EnvironmentPool:
    """Environments of one function; all methods take the current time."""

    config: LambdaConfig
    now_s: float
    cap_factor: float = 1.0
    idle: list[Environment] = field(default_factory=list)
    busy: int = 0
    scaling: TokenBucket = field(init=False)
    rps: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        c = self.config
        if c.scaling.rule == ScalingRule.RULE_2023:
            per_s = c.scaling.envs_per_interval / c.scaling.interval_s
            burst = float(c.scaling.envs_per_interval)
        else:
            per_s = c.scaling.legacy_per_minute / 60.0
            burst = float(c.scaling.legacy_initial_burst)
        self.scaling = TokenBucket(per_s, burst, now_s=self.now_s)
        rps = c.rps_per_environment * c.concurrency_cap
        self.rps = TokenBucket(rps, rps, now_s=self.now_s)
        self.idle = [Environment(True, self.now_s) for _ in range(c.provisioned_concurrency)]

    @property
    def cap(self) -> int:
        """Concurrency cap now (reserved or account, times a throttle storm's factor)."""
        return max(0, int(self.config.concurrency_cap * self.cap_factor))

    @property
    def environments(self) -> int:
        """Environments in existence (busy + idle)."""
        return self.busy + len(self.idle)

    def reclaim(self, now_s: float) -> int:
        """Drop on-demand environments idle for ``idle_reclaim_s``; returns how many."""
        limit = now_s - self.config.idle_reclaim_s
        keep = [e for e in self.idle if e.provisioned or e.last_used_s > limit]
        dropped = len(self.idle) - len(keep)
        self.idle = keep
        return dropped

    def acquire(self, now_s: float) -> tuple[Environment | None, bool, ThrottleCause | None]:
        """(environment, cold, None) for an invocation, or (None, False, cause) when throttled."""
        self.reclaim(now_s)
        if self.busy >= self.cap:
            return None, False, ThrottleCause.CONCURRENCY
        if not self.rps.try_take(now_s, 1):
            return None, False, ThrottleCause.RPS
        for i in range(len(self.idle) - 1, -1, -1):  # provisioned first, then the warmest
            if self.idle[i].provisioned:
                env = self.idle.pop(i)
                self.busy += 1
                return env, False, None
        if self.idle:
            env = self.idle.pop()
            self.busy += 1
            return env, False, None
        if not self.scaling.try_take(now_s, 1):
            return None, False, ThrottleCause.SCALING_RATE
        self.busy += 1
        return Environment(False, now_s), True, None

    def release(self, env: Environment, now_s: float) -> None:
        """The invocation finished; the environment becomes idle (warm)."""
        self.busy -= 1
        env.last_used_s = now_s
        self.idle.append(env)


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
            g.counters.throttle(now, ThrottleCause.FRONT_DOOR.value)
            await _send_json(send, *throttle_response(kind, ThrottleCause.FRONT_DOOR, False))
            return
        g.sync(now)
        pool = g.pool
        env, cold, cause = pool.acquire(now)
        g.counters.gauge_max(now, "lambda_concurrency", pool.busy)
        if env is None:
            assert cause is not None
            g.counters.throttle(now, cause.value)
            reserved = g.system.lambda_.reserved_concurrency is not None
            await _send_json(send, *throttle_response(kind, cause, reserved))
            return
        try:
            g.counters.add(now, "lambda_invocations")
            if cold:
                g.counters.add(now, "cold_starts")
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
                g.counters.add(now, "lambda_injected_errors")
                await _send_json(send, 500, {"message": "Internal Server Error"}, {})
                return
            await self.app(scope, receive, send)
        finally:
            pool.release(env, g.clock())


async def _read_all(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
