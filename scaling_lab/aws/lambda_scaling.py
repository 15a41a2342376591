"""Lambda's execution environments: where every Lambda scaling and concurrency rule lives.

One state machine of one function, driven by ``now_s`` (no clock, no randomness), used by
both model modes and by the emulator's Lambda gate:

- **scaling rate, 2023 rule**: "for each function, your concurrency scaling rate is 1,000
  execution environment instances every 10 seconds"; "Lambda makes a best attempt to refill
  your concurrency scaling rate continuously over time, rather than in one single refill of
  1,000 units every 10 seconds"; "Lambda doesn't accrue unused portions of your concurrency
  scaling rate ... at any given time, your scaling rate is always a maximum of 1,000
  concurrency units" -- LAMBDA_SCALING_URL. So: a token bucket of new environments, refilled
  at 100/s, holding at most 1,000, full at the start.
- **scaling rate, legacy rule** (before November 2023): "We use a bucket algorithm with a
  predefined token capacity (500/1,000/3,000, depending on the Region) and a fixed rate (500
  tokens/minute). When we need to create a new execution environment, we first take a token
  from the bucket (if exists). If the bucket is empty, the request is throttled" --
  LEGACY_BURST_URL (AWS's answer on re:Post); the Lambda Operator Guide's worked example
  (LEGACY_EXAMPLE_URL: 10,000 requests over 2 minutes, burst 3,000 -> 2,000 then 1,500
  throttled) is the same bucket seen minute by minute.
- **concurrency cap**: reserved concurrency if set, else the account quota; beyond it a
  synchronous invoke is throttled (429), never queued -- LAMBDA_SCALING_URL ("If requests
  come in faster than your function can scale, or if your function is at maximum concurrency,
  then additional requests fail with a throttling error (429 status code)").
- **request rate**: "Lambda also limits the rate at which requests can be processed ... 10
  times your concurrency" -- LAMBDA_SCALING_URL ("Concurrency and requests per second"), with
  reserved concurrency the function's own 10 x reserved. ASSUMPTION: enforced as a token
  bucket holding one second of the rate (AWS does not say over what window).
- **provisioned concurrency**: that many environments exist warm from the start and are
  never reclaimed; requests beyond them spill over to on-demand environments (cold start):
  "7,000 requests are handled by the provisioned environments with no cold start. The
  remaining 3,000 requests are handled by new, on-demand execution environments" --
  LAMBDA_PROVISIONED_URL (the Operator Guide's example, provisioned concurrency 7,000).
  ASSUMPTION: an invocation uses an idle provisioned environment before an idle on-demand
  one, and the most recently used on-demand one before older ones.
- **idle reclaim**: ASSUMPTION (undocumented; "not guaranteed" -- LAMBDA_COLD_START_URL):
  an on-demand environment idle for ``idle_reclaim_s`` is shut down.
- **recycling** (the ``cold_start_storm`` fault): "Lambda terminates execution environments
  every few hours to allow for runtime updates and maintenance -- even for functions that are
  invoked continuously" -- LAMBDA_LIFECYCLE_URL. While :attr:`LambdaEnvironments.recycling`
  is on, every idle environment (provisioned ones too) is gone and each environment is shut
  down when its invocation ends, so every invocation is a cold start on a new environment
  (which the scaling rate must grant). ASSUMPTION: AWS does this a few environments at a time;
  the fault does it to all of them at once (the worst case a team rehearses), and provisioned
  environments are warm again when it ends.

Admission of ``n`` simultaneous arrivals is the same as admitting them one at a time: each
needs a free slot under the concurrency cap, a request-rate token, and an idle environment
or a scaling token; a whole token or none (the fraction stays for the next arrival). The
first arrival refused fixes the cause for the rest, checked in that order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from scaling_lab.aws.buckets import TokenBucket
from scaling_lab.aws.throttles import ThrottleCause
from scaling_lab.system.models import LambdaConfig, ScalingRule

__all__ = [
    "LAMBDA_COLD_START_URL",
    "LAMBDA_LIFECYCLE_URL",
    "LAMBDA_PROVISIONED_URL",
    "LAMBDA_SCALING_URL",
    "LEGACY_BURST_URL",
    "LEGACY_EXAMPLE_URL",
    "REJECT_MS",
    "Admission",
    "LambdaEnvironments",
]

LAMBDA_SCALING_URL = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html"
LAMBDA_PROVISIONED_URL = (
    "https://docs.aws.amazon.com/lambda/latest/operatorguide/provisioned-scaling.html"
)
LAMBDA_COLD_START_URL = (
    "https://docs.aws.amazon.com/lambda/latest/operatorguide/execution-environments.html"
)
LEGACY_BURST_URL = "https://repost.aws/questions/QUJ-EhgPLdTQKpr1UDuqUxaA"
LAMBDA_LIFECYCLE_URL = (
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html"
)
LEGACY_EXAMPLE_URL = (
    "https://docs.aws.amazon.com/lambda/latest/operatorguide/on-demand-scaling.html"
)

# ASSUMPTION: a request refused by Lambda or the front door answers in 5 ms (undocumented;
# small next to any service time). Calibrate from runs.
REJECT_MS = 5.0


class Admission(NamedTuple):
    """What happened to ``n`` simultaneous arrivals (a tuple: the engines make millions)."""

    warm: int = 0
    cold: int = 0
    throttled: int = 0
    cause: ThrottleCause | None = None  # why the throttled ones were refused

    @property
    def admitted(self) -> int:
        return self.warm + self.cold


_NOTHING = Admission()


@dataclass
class LambdaEnvironments:
    """Environments of one function (see the module docstring for the rules)."""

    config: LambdaConfig
    now_s: float = 0.0
    cap_factor: float = 1.0  # a throttle storm on Lambda: the cap times this factor
    busy: int = 0
    # Executions of other functions in a shared (unreserved) account pool (the SQS consumer:
    # scaling_lab.aws.sqs); 0 with reserved concurrency, which no other function can use.
    others: int = 0
    # Idle on-demand environments as [idle since, count], oldest first.
    _idle_on_demand: deque[list[float]] = field(default_factory=deque, init=False)
    _idle_on_demand_n: int = field(default=0, init=False)
    scaling: TokenBucket = field(init=False)
    rps: TokenBucket = field(init=False)
    busy_area: float = field(default=0.0, init=False)  # integral of busy over time
    _area_s: float = field(default=0.0, init=False)
    recycling: bool = field(default=False, init=False)  # a cold-start storm (module doc)
    _pc: int = field(default=0, init=False)  # provisioned environments in service now

    def __post_init__(self) -> None:
        c = self.config
        if c.scaling.rule is ScalingRule.RULE_2023:
            per_s = c.scaling.envs_per_interval / c.scaling.interval_s
            burst = float(c.scaling.envs_per_interval)
        else:
            per_s = c.scaling.legacy_per_minute / 60.0
            burst = float(c.scaling.legacy_initial_burst)
        self.scaling = TokenBucket(per_s, burst, now_s=self.now_s)
        rps = c.rps_per_environment * c.concurrency_cap
        self.rps = TokenBucket(rps, rps, now_s=self.now_s)
        self._area_s = self.now_s
        self._pc = c.provisioned_concurrency

    # -- state --------------------------------------------------------------------------------
    @property
    def provisioned(self) -> int:
        return self.config.provisioned_concurrency

    @property
    def cap(self) -> int:
        """Concurrency cap now (reserved or account, times a throttle storm's factor)."""
        return max(0, int(self.config.concurrency_cap * self.cap_factor))

    @property
    def idle_provisioned(self) -> int:
        return max(0, self._pc - self.busy)

    @property
    def idle(self) -> int:
        """Idle environments (provisioned and on-demand)."""
        return self.idle_provisioned + self._idle_on_demand_n

    @property
    def environments(self) -> int:
        """Environments in existence (busy + idle)."""
        return self.busy + self.idle

    def set_cap_factor(self, factor: float) -> None:
        self.cap_factor = factor

    def set_recycling(self, on: bool) -> None:
        """Start or end a cold-start storm: on, every idle environment is shut down now and
        every busy one when its invocation ends; off, provisioned concurrency is back."""
        if on == self.recycling:
            return
        self.recycling = on
        if on:
            self._idle_on_demand.clear()
            self._idle_on_demand_n = 0
            self._pc = 0
        else:
            self._pc = self.config.provisioned_concurrency

    def touch(self, now_s: float) -> None:
        """Accumulate busy environment-seconds up to ``now_s``."""
        if now_s > self._area_s:
            self.busy_area += self.busy * (now_s - self._area_s)
            self._area_s = now_s

    # -- transitions --------------------------------------------------------------------------
    def admit(self, now_s: float, n: int = 1) -> Admission:
        """Admit ``n`` arrivals at ``now_s``: warm, cold, or throttled with a cause."""
        if n <= 0:
            return _NOTHING
        if now_s > self._area_s:  # touch(), inlined: this is the engines' hottest call
            self.busy_area += self.busy * (now_s - self._area_s)
            self._area_s = now_s
        stack = self._idle_on_demand
        if stack and stack[0][0] <= now_s - self.config.idle_reclaim_s:
            self.reclaim(now_s)
        busy = self.busy
        room = max(0, int(self.config.concurrency_cap * self.cap_factor) - busy - self.others)
        rps = self.rps.whole(now_s)
        idle = max(0, self._pc - busy) + self._idle_on_demand_n
        k = min(n, room, rps, idle)
        if k < n:  # new environments needed: only then ask the scaling bucket
            scale = self.scaling.whole(now_s)
            k = min(n, room, rps, idle + scale)
        warm = min(k, idle)
        cold = k - warm
        if k:
            self.rps.spend(k)
            if cold:
                self.scaling.spend(cold)
            if warm:
                self._take_warm(warm)
            self.busy = busy + k
        refused = n - k
        if not refused:
            return Admission(warm, cold)
        if k >= room:
            cause = ThrottleCause.LAMBDA_CONCURRENCY
        elif k == rps:
            cause = ThrottleCause.LAMBDA_REQUEST_RATE
        else:
            cause = ThrottleCause.LAMBDA_SCALING_RATE
        return Admission(warm, cold, refused, cause)

    def _take_warm(self, n: int) -> None:
        """Use ``n`` idle environments: provisioned ones first, then the most recent."""
        n -= min(n, self.idle_provisioned)
        stack = self._idle_on_demand
        self._idle_on_demand_n -= n
        while n and stack:
            top = stack[-1]
            if top[1] > n:
                top[1] -= n
                return
            n -= int(top[1])
            stack.pop()

    def release(self, now_s: float, n: int = 1) -> None:
        """``n`` invocations finished at ``now_s``; their environments become idle."""
        if n <= 0:
            return
        if now_s > self._area_s:
            self.busy_area += self.busy * (now_s - self._area_s)
            self._area_s = now_s
        # provisioned environments are the busy ones first: the on-demand ones go idle first
        on_demand_busy = self.busy - self._pc
        self.busy -= n
        if self.recycling:
            return  # shut down when the invocation ends
        if on_demand_busy > 0:
            k = n if n < on_demand_busy else on_demand_busy
            stack = self._idle_on_demand
            if stack and stack[-1][0] == now_s:
                stack[-1][1] += k
            else:
                stack.append([now_s, k])
            self._idle_on_demand_n += k

    def reclaim(self, now_s: float) -> int:
        """Shut down on-demand environments idle for ``idle_reclaim_s``; returns how many."""
        stack = self._idle_on_demand
        limit = now_s - self.config.idle_reclaim_s
        dropped = 0
        while stack and stack[0][0] <= limit:
            dropped += int(stack.popleft()[1])
        self._idle_on_demand_n -= dropped
        return dropped
