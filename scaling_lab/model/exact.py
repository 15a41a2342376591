"""``exact`` mode: one SimPy process per request (the reference for ``fast``).

Time is in seconds. Arrivals are the same Poisson counts per millisecond as ``fast``, each
placed uniformly inside its millisecond. A request passes the front door, is admitted by the
Lambda pool (warm, cold or throttled), makes its DynamoDB call at the start of its service
time (ASSUMPTION: the handler's write is modelled first, then the rest of its work), sleeps
botocore's backoff while throttled -- its environment stays busy -- and frees the environment
when its service time ends. SimPy breaks ties by insertion order, so a seed gives one result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from scaling_lab.aws import REJECT_MS, ThrottleCause
from scaling_lab.model.arrivals import TICK_S, tick_arrivals
from scaling_lab.model.world import Streams, World
from scaling_lab.result.models import ErrorClass
from scaling_lab.scenario.models import Endpoint

__all__ = ["run_exact"]

Progress = Callable[[float], None]


def run_exact(world: World, streams: Streams, progress: Progress | None = None) -> None:
    sc, system = world.scenario, world.system
    arrivals = tick_arrivals(sc, streams.arrivals)
    rng = streams.misc
    env = simpy.Environment()
    lam, fig, sink, causes = world.lam, world.fig, world.sink, world.causes
    policy, quota = world.policy, world.quota
    faults = world.faults
    seconds = world.seconds
    timeout_s = world.timeout_ms / 1000.0
    svc = system.lambda_.service_time_ms
    cold_dist = system.lambda_.cold_start_ms

    # arrivals: (time, endpoint) sorted; ties keep endpoint order
    times: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    eps = list(arrivals)
    for i, ep in enumerate(eps):
        ticks = np.repeat(arrivals[ep].ticks, arrivals[ep].counts)
        times.append((ticks + rng.random(ticks.size)) * TICK_S)
        labels.append(np.full(ticks.size, i))
    at = np.concatenate(times) if times else np.zeros(0)
    lab = np.concatenate(labels) if labels else np.zeros(0, dtype=int)
    order = np.argsort(at, kind="stable")
    at, lab = at[order], lab[order]
    svc_samples = {
        ep: np.asarray(svc[ep].sample(streams.service, arrivals[ep].total + 8)).tolist()
        for ep in eps
    }
    svc_pos = dict.fromkeys(eps, 0)

    def note_busy() -> None:
        sec = min(int(env.now), seconds)
        if lam.busy > fig.concurrency[sec]:
            fig.concurrency[sec] = lam.busy

    def release_at(delay_s: float) -> Generator[Any, Any, None]:
        yield env.timeout(delay_s)
        lam.release(env.now, 1)

    def request(a: float, ep: Endpoint) -> Generator[Any, Any, None]:
        sec = min(int(a), seconds)
        fig.offered[sec] += 1
        fd = world.front_door
        if fd is not None and not fd.try_take(a, 1.0):
            causes[ThrottleCause.FRONT_DOOR] += 1
            sink.add(sec, ep, ErrorClass.THROTTLED, REJECT_MS)
            return
        adm = lam.admit(a, 1)
        cold = adm.cold
        if adm.cause is not None:
            causes[adm.cause] += 1
            fig.throttles[sec] += 1
            sink.add(sec, ep, world.lambda_throttle_class, REJECT_MS)
            return
        fig.invocations[sec] += 1
        note_busy()
        if cold:
            fig.cold[sec] += 1
            c_ms = float(cold_dist.sample(streams.cold))
            yield env.timeout(math.ceil(max(c_ms, 1.0)) / 1000.0)
        if faults.any:
            lat_l = math.ceil(faults.lambda_latency_ms(a))
            err_l = faults.lambda_error_rate(a)
            if err_l and rng.random() < err_l:
                world.injected["lambda_errors"] += 1
                wait_s = max(lat_l, 0 if cold else 1) / 1000.0
                sink.add(sec, ep, ErrorClass.SERVER, (env.now + wait_s - a) * 1000.0)
                yield env.timeout(wait_s)
                lam.release(env.now, 1)
                return
            if lat_l:
                yield env.timeout(lat_l / 1000.0)
        pool = world.pool_of[ep]
        u = world.units[ep]
        keys = pool.keys
        key = pool.draw_key(rng) if keys is not None else -1
        att = 1
        while True:
            now = env.now
            shift_s = 0.0
            injected = False
            if faults.any:
                shift_s = math.ceil(faults.ddb_latency_ms(now)) / 1000.0
                fr = faults.ddb_fail_rate(now)
                injected = fr > 0 and (fr >= 1.0 or rng.random() < fr)
            ok = False
            if injected:
                world.injected["dynamodb_errors"] += 1
            elif keys is not None and key >= 0 and not keys.admit(now, key, 1, u):
                pool.refused(now, 1, key_range=True)  # the key's partition is full
            elif pool.admits_one(now, ep, u):
                pool.take(now, u, pool.index_units[ep])
                if quota is not None:
                    quota.release(1 if att == 1 else 0, 0 if att == 1 else 1)
                ok = True
            else:
                if keys is not None and key >= 0:
                    keys.refund(key, u)
                pool.refused(now, 1, key_range=False)
            if shift_s:
                yield env.timeout(shift_s)
                now = env.now
            if ok:
                break
            got = 1 if att < policy.max_attempts else 0
            if got and quota is not None:
                got = quota.acquire(1)
            if not got:
                if not injected:
                    causes[ThrottleCause.DYNAMODB_RETRIES_EXHAUSTED] += 1
                lat = (now - a) * 1000.0 + world.throttled_call_ms
                sink.add(sec, ep, ErrorClass.SERVER, lat)
                yield env.timeout(world.throttled_call_ms / 1000.0)
                lam.release(env.now, 1)
                return
            delay = policy.delay_s(att, rng)
            if policy.jitter:
                delay = math.ceil(delay * 1000.0) / 1000.0
            wait = world.throttled_call_ms / 1000.0 + delay
            if now + wait - a >= timeout_s:
                causes[ThrottleCause.LAMBDA_TIMEOUT] += 1
                sink.add(sec, ep, ErrorClass.SERVER, timeout_s * 1000.0)
                env.process(release_at(a + timeout_s - now))
                return
            fig.ddb_retries[min(int(now), seconds)] += 1
            yield env.timeout(wait)
            att += 1
        i = svc_pos[ep]
        svc_pos[ep] = i + 1
        s_ms = max(svc_samples[ep][i], 1e-3)
        if ep is Endpoint.POST_EVENTS:
            fig.enqueued[min(int(env.now), seconds)] += 1
        lat = (env.now - a) * 1000.0 + s_ms
        if lat >= timeout_s * 1000.0:
            causes[ThrottleCause.LAMBDA_TIMEOUT] += 1
            sink.add(sec, ep, ErrorClass.SERVER, timeout_s * 1000.0)
        else:
            sink.add(sec, ep, None, lat)
        # Lambda stops the invocation at the function timeout: the environment is free then.
        yield env.timeout(min(s_ms / 1000.0, max(0.0, a + timeout_s - env.now)))
        lam.release(env.now, 1)

    def source() -> Generator[Any, Any, None]:
        for a, i in zip(at.tolist(), lab.tolist(), strict=True):
            if a > env.now:
                yield env.timeout(a - env.now)
            env.process(request(a, eps[i]))

    def clock() -> Generator[Any, Any, None]:
        sec = 0
        while sec <= seconds:
            yield env.timeout(1.0)
            world.housekeeping(env.now, sec)
            if progress is not None and sec % 5 == 0:
                progress(min(1.0, env.now / max(sc.duration_s, 1.0)))
            sec += 1
            fig.concurrency[min(sec, seconds)] = lam.busy

    env.process(source())
    env.process(clock())
    env.run(until=seconds + timeout_s + 60.0)
    if progress is not None:
        progress(1.0)
