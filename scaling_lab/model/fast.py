"""``fast`` mode: the same rules as ``exact``, with requests handled in millisecond cohorts.

Every tick (1 ms) the arrivals of each endpoint form a cohort that passes the front door,
Lambda admission and its DynamoDB call as a count; a cohort's members that fail together
are retried together (legacy backoff has no jitter; standard-mode jitter splits the cohort).
Each request still draws its own service time (which decides when its environment frees up)
and cold start, so latency percentiles and concurrency keep their per-request spread. A
cohort also draws its place inside its millisecond, which the per-key limits see (a hot key
is one request at a time, where sub-millisecond order decides who is throttled).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scaling_lab.aws import REJECT_MS, ThrottleCause
from scaling_lab.model.arrivals import TICK_S, tick_arrivals
from scaling_lab.model.world import DdbPool, Streams, World
from scaling_lab.result.models import ErrorClass
from scaling_lab.scenario.models import Endpoint

__all__ = ["run_fast"]

Progress = Callable[[float], None]
Item = tuple[int, int, int, Endpoint, int | None]


def run_fast(world: World, streams: Streams, progress: Progress | None = None) -> None:
    """Simulate one replication into ``world`` (figures, latency sink, causes)."""
    sc, system = world.scenario, world.system
    arrivals = tick_arrivals(sc, streams.arrivals)
    rng = streams.misc
    eps = list(arrivals)
    n_ticks = round(sc.duration_s / TICK_S)
    # the ticks with an arrival (any endpoint), then each endpoint's count in them
    arrival_ticks = (
        np.unique(np.concatenate([a.ticks for a in arrivals.values()]))
        if eps
        else np.zeros(0, dtype=np.int64)
    )
    arriving: list[list[int]] = []
    for ep in eps:
        col = np.zeros(arrival_ticks.size, dtype=np.int64)
        col[np.searchsorted(arrival_ticks, arrivals[ep].ticks)] = arrivals[ep].counts
        arriving.append(col.tolist())
    busy_ticks = [*arrival_ticks.tolist(), 1 << 62]  # a sentinel after the last arrival
    next_arrival = 0  # index into busy_ticks
    timeout_ms = world.timeout_ms
    timeout_ticks = math.ceil(timeout_ms)
    svc_ms: dict[Endpoint, np.ndarray] = {}
    svc_ticks: dict[Endpoint, list[int]] = {}
    for ep in eps:
        n = arrivals[ep].total + 8
        ms = np.asarray(system.lambda_.service_time_ms[ep].sample(streams.service, n), dtype=float)
        svc_ms[ep] = ms
        # an environment is busy for round(s) ticks: unbiased time-average concurrency; never
        # past the function timeout, when Lambda stops the invocation (a tail sample of a wide
        # distribution would otherwise outlive the run)
        busy = np.clip(np.rint(ms), 1, max(1, timeout_ticks))
        svc_ticks[ep] = busy.astype(np.int64).tolist()
    svc_pos = dict.fromkeys(eps, 0)
    cold_dist = system.lambda_.cold_start_ms

    # Environments released per tick, in a ring of ``size`` ticks (tick x at x & mask): no
    # release is scheduled further ahead than a function timeout plus the longest added
    # latency, so memory follows the timeout, not the run's length. ``marks`` flags the
    # ticks with a release, found with bytearray.find when the run skips quiet ticks.
    ahead = 2 * timeout_ticks + math.ceil(world.faults.max_latency_ms()) + 10_000
    size = 1 << max(ahead, 1).bit_length()
    mask = size - 1
    rel = [0] * size
    marks = bytearray(size)
    # Skipping pays when most ticks are quiet; a run with arrivals in most ticks never skips
    # (and keeps no marks).
    skipping = 2 * arrival_ticks.size < n_ticks
    # a pending DynamoDB call: (arrival tick, attempt, count, endpoint, key); key None for a
    # cohort not yet spread over the tracked hot keys, -1 for untracked keys
    due: dict[int, list[tuple[int, int, int, Endpoint, int | None]]] = {}
    runs: list[list[int]] = []  # [ep index, arrival second, base ms, first svc index, count]
    last_run: dict[Endpoint, list[int]] = {}
    ep_index = {ep: i for i, ep in enumerate(eps)}
    # where in its millisecond each cohort arrived (exact places each arrival uniformly in
    # it); a retry keeps it, since botocore's legacy delays are whole milliseconds
    phase_rng = np.random.default_rng(int(rng.integers(2**63)))
    # drawn below for each arrival tick, once it is known that a pool tracks keys (a cohort's
    # arrival tick is its identity across retries; quiet ticks need no place)
    phase: list[dict[int, float]] = []

    lam = world.lam
    fig = world.fig
    sink = world.sink
    causes = world.causes
    fd = world.front_door
    policy = world.policy
    quota = world.quota
    max_attempts = policy.max_attempts
    pool_of = world.pool_of
    units = world.units
    lthr = world.lambda_throttle_class
    faults = world.faults
    seconds = world.seconds
    thr_call = math.ceil(world.throttled_call_ms - 1e-9)  # whole ticks
    thr_ms = world.throttled_call_ms
    conc = fig.concurrency
    enq = fig.enqueued
    post = Endpoint.POST_EVENTS
    cmax = 0
    pools = [world.write_pool, world.read_pool]
    two_pools = len({id(pool_of[ep]) for ep in eps}) > 1
    if not two_pools and eps:
        pools = [pool_of[eps[0]]]
    keyed = any(p.keys is not None for p in pools)
    if keyed:  # only the per-key limits read the places (one float per arrival tick)
        phase = [
            dict(zip(a.ticks.tolist(), phase_rng.random(a.ticks.size).tolist(), strict=True))
            for a in (arrivals[ep] for ep in eps)
        ]
    # one pool, no faults, no hot keys, no index with capacity of its own: a lone cohort's
    # DynamoDB call is decided inline
    plain = not two_pools and not faults.any and not keyed and not any(p.indexes for p in pools)
    # places in the millisecond of requests raced one by one (race_members), drawn in blocks
    spare: list[float] = []

    def places(n: int) -> list[float]:
        if len(spare) < n:
            spare.extend(phase_rng.random(max(4096, n)).tolist())
        out = spare[-n:]
        del spare[-n:]
        return out

    coupled = two_pools and bool(pools[0].coupling(pools[1]))
    # endpoints sharing a pool whose requests need different units (writes and acks)
    mixed_units = any(len({units[ep] for ep in eps if pool_of[ep] is p}) > 1 for p in pools)
    c_ab = pools[0].coupling(pools[1]) if coupled else 0.0
    c_ba = pools[1].coupling(pools[0]) if coupled else 0.0
    tk_now = [0]  # the tick DynamoDB answers in (resolve's, after added latency)

    def succeed(tk: int, a_tick: int, att: int, ok: int, ep: Endpoint) -> None:
        i = svc_pos[ep]
        svc_pos[ep] = i + ok
        sts = svc_ticks[ep]
        if skipping:
            for j in range(i, i + ok):
                x = (tk + sts[j]) & mask
                rel[x] += 1
                marks[x] = 1
        else:  # a busy run never skips: no marks to keep
            for j in range(i, i + ok):
                rel[(tk + sts[j]) & mask] += 1
        sec = a_tick // 1000
        base = tk - a_tick
        lr = last_run.get(ep)
        if lr is not None and lr[1] == sec and lr[2] == base and lr[3] + lr[4] == i:
            lr[4] += ok
        else:
            lr = [ep_index[ep], sec, base, i, ok]
            runs.append(lr)
            last_run[ep] = lr
        if ep is post:
            enq[min(tk // 1000, seconds)] += ok
        if quota is not None:
            if att == 1:
                quota.release(ok)
            else:
                quota.release(0, ok)

    def by_key(t: float, pool: DdbPool, mine: list[Item]) -> list[Item]:
        """Hot keys first: spread new cohorts over the tracked keys, let each key's partition
        take what it can, fail the rest (KeyRangeThroughputExceeded); returns what passed.
        A key's calls in the tick reach its partition in the order of their place in the
        millisecond (``phase``, kept across retries), each when it gets there: as ``exact``
        does, so a key loaded at exactly its limit locks into the same pattern (a request
        that came a fraction of a millisecond early throttled, its retry taking the next
        request's unit) and a retried request keeps its place in the race."""
        keys = pool.keys
        assert keys is not None
        out: list[Item] = []
        per_key: dict[int, list[Item]] = {}
        for a_tick, att, c, ep, key in mine:
            parts = pool.split(c, rng) if key is None else [(key, c)]
            for j, n in parts:
                if j < 0:
                    out.append((a_tick, att, n, ep, j))
                else:
                    per_key.setdefault(j, []).append((a_tick, att, n, ep, j))
        for j, group in per_key.items():
            placed = [(phase[ep_index[it[3]]][it[0]], it) for it in group]
            if len(placed) > 1:
                placed.sort(key=_first)
            oks = [keys.admit(t + ph * TICK_S, j, it[2], units[it[3]]) for ph, it in placed]
            for (_ph, (a_tick, att, n, ep, _j)), ok in zip(placed, oks, strict=True):
                if ok:
                    out.append((a_tick, att, ok, ep, j))
                if n - ok:
                    fail(tk_now[0], a_tick, att, n - ok, ep, j, key_range=True)
        return out

    def resolve(tk: int, t: float, items: list[Item]) -> None:
        """This tick's DynamoDB calls: all succeed when capacity allows; otherwise the
        capacity goes to a uniformly random subset (calls within a millisecond race)."""
        shift = 0
        if faults.any:
            shift = math.ceil(faults.ddb_latency_ms(t))
            fr = faults.ddb_fail_rate(t)
            if fr > 0:
                kept = []
                for a_tick, att, c, ep, key in items:
                    bad = c if fr >= 1.0 else int(rng.binomial(c, fr))
                    if bad:
                        world.injected["dynamodb_errors"] += bad
                        fail(tk + shift, a_tick, att, bad, ep, key, throttled=False)
                    if c - bad:
                        kept.append((a_tick, att, c - bad, ep, key))
                items = kept
        tk += shift
        tk_now[0] = tk
        by_pool: list[tuple[DdbPool, list[Item]]] = []
        for pool in pools:
            mine = [it for it in items if pool_of[it[3]] is pool] if two_pools else items
            if mine and pool.keys is not None:
                mine = by_key(t, pool, mine)
            if mine:
                by_pool.append((pool, mine))
        if coupled and len(by_pool) == 2:
            race(tk, t, by_pool)
            return
        for pool, mine in by_pool:
            need = 0.0
            total = 0
            for it in mine:
                need += it[2] * units[it[3]]
                total += it[2]
            if pool.indexes:
                idx_need = pool.index_need((it[2], it[3]) for it in mine)
                k, full = pool.servable(t, total, need, idx_need)
            else:  # servable() without indexes, inline: the hot path
                idx_need = []
                avail = pool.limiter.available(t)
                full = avail >= need
                k = total if full else int(avail / (need / total) + 1e-9)
            if full:
                pool.take(t, need, idx_need)
                for a_tick, att, c, ep, _key in mine:
                    succeed(tk, a_tick, att, c, ep)
                continue
            if mixed_units and len({units[it[3]] for it in mine}) > 1:
                race_members(tk, t, [(pool, mine)])  # a smaller call can pass a larger one
                continue
            if len(mine) == 1:
                oks = [k]
            elif k == 0:
                oks = [0] * len(mine)
            else:
                oks = rng.multivariate_hypergeometric([it[2] for it in mine], k).tolist()
            used = 0.0
            for it, ok in zip(mine, oks, strict=True):
                if ok:
                    used += ok * units[it[3]]
            if used:
                idx_used = (
                    pool.index_need((ok, it[3]) for it, ok in zip(mine, oks, strict=True))
                    if pool.indexes
                    else []
                )
                pool.take(t, used, idx_used)
            settle(tk, pool, mine, oks)

    def race(tk: int, t: float, by_pool: list[tuple[DdbPool, list[Item]]]) -> None:
        """Reads and writes of one on-demand table in one tick: they share its capacity
        (each unit of one takes units of the other), so when it cannot serve them all they
        race (:func:`race_members`)."""
        (pa, ma), (pb, mb) = by_pool  # in the order of ``pools``
        need_a = sum(it[2] * units[it[3]] for it in ma)
        need_b = sum(it[2] * units[it[3]] for it in mb)
        idx_a = pa.index_need((it[2], it[3]) for it in ma) if pa.indexes else []
        idx_b = pb.index_need((it[2], it[3]) for it in mb) if pb.indexes else []
        if (
            pa.available(t) >= need_a + need_b * c_ba
            and pb.available(t) >= need_b + need_a * c_ab
            and (not idx_a or pa.servable(t, sum(it[2] for it in ma), need_a, idx_a)[1])
            and (not idx_b or pb.servable(t, sum(it[2] for it in mb), need_b, idx_b)[1])
        ):
            for pool, mine, need, idx in ((pa, ma, need_a, idx_a), (pb, mb, need_b, idx_b)):
                pool.take(t, need, idx)
                for a_tick, att, c, ep, _key in mine:
                    succeed(tk, a_tick, att, c, ep)
            return
        race_members(tk, t, by_pool)

    def race_members(tk: int, t: float, by_pool: list[tuple[DdbPool, list[Item]]]) -> None:
        """The calls of a tick that capacity cannot all serve, one request at a time in the
        order of their places in the millisecond, each served if what it needs is there
        when it comes (capacity refilling as the millisecond goes on), as ``exact`` does.
        Where the requests differ in size or compete across coupled capacities, this is what
        decides which pass: a uniformly random subset would not let a smaller call take what
        a larger one could not."""
        flat = [(pool, i, it) for pool, mine in by_pool for i, it in enumerate(mine)]
        oks_of = {id(pool): [0] * len(mine) for pool, mine in by_pool}
        members: list[tuple[float, int]] = []
        for f, (_p, _i, it) in enumerate(flat):
            members.extend((x, f) for x in places(it[2]))
        members.sort()
        for ph, f in members:
            pool, i, it = flat[f]
            ep = it[3]
            now = t + ph * TICK_S
            if pool.admits_one(now, ep, units[ep]):
                pool.take(now, units[ep], pool.index_units[ep])
                oks_of[id(pool)][i] += 1
        for pool, mine in by_pool:
            settle(tk, pool, mine, oks_of[id(pool)])

    def settle(tk: int, pool: DdbPool, mine: list[Item], oks: list[int]) -> None:
        """The outcome of a pool's calls in a tick: ``oks[i]`` of item ``i`` served."""
        for (a_tick, att, c, ep, key), ok in zip(mine, oks, strict=True):
            if ok:
                succeed(tk, a_tick, att, ok, ep)
            if c - ok:
                if key is not None and key >= 0 and pool.keys is not None:
                    pool.keys.refund(key, (c - ok) * units[ep])  # not served after all
                fail(tk, a_tick, att, c - ok, ep, key)

    def fail(
        tk: int,
        a_tick: int,
        att: int,
        fail: int,
        ep: Endpoint,
        key: int | None,
        *,
        throttled: bool = True,
        key_range: bool = False,
    ) -> None:
        if throttled:
            pool_of[ep].refused(tk * TICK_S, fail, key_range=key_range)
        sec = min(a_tick // 1000, seconds)
        give_up = fail
        if att < max_attempts:
            allowed = fail if quota is None else quota.acquire(fail)
            give_up = fail - allowed
            if allowed:
                if policy.jitter:
                    delays = policy.delays_s(att, allowed, rng) * 1000.0
                    ticks, cnts = np.unique(np.ceil(delays).astype(np.int64), return_counts=True)
                    plan = list(zip(ticks.tolist(), cnts.tolist(), strict=True))
                else:
                    plan = [(math.ceil(policy.ceiling_s(att) * 1000.0), allowed)]
                for d, c in plan:
                    nxt = max(tk + 1, tk + thr_call + d)  # this tick is already running
                    if nxt - a_tick >= timeout_ms:
                        # the function times out while the SDK sleeps
                        causes[ThrottleCause.LAMBDA_TIMEOUT] += c
                        sink.add(sec, ep, ErrorClass.SERVER, timeout_ms, c)
                        x = (a_tick + timeout_ticks) & mask
                        rel[x] += c
                        marks[x] = 1
                        continue
                    fig.ddb_retries[min(tk // 1000, seconds)] += c
                    due.setdefault(nxt, []).append((a_tick, att + 1, c, ep, key))
        if give_up:
            if throttled:
                causes[ThrottleCause.DYNAMODB_RETRIES_EXHAUSTED] += give_up
            sink.add(sec, ep, ErrorClass.SERVER, base_ms(tk, a_tick) + thr_ms, give_up)
            x = (tk + max(1, thr_call)) & mask
            rel[x] += give_up
            marks[x] = 1

    def lambda_error(a_tick: int, end_tick: int, n: int, ep: Endpoint) -> None:
        """An injected function error: 500 before the handler runs."""
        world.injected["lambda_errors"] += n
        end_tick = min(end_tick, a_tick + size - 1)  # a guard: the ring's horizon
        sink.add(min(a_tick // 1000, seconds), ep, ErrorClass.SERVER, float(end_tick - a_tick), n)
        x = end_tick & mask
        rel[x] += n
        marks[x] = 1

    tk = 0
    next_report = 0
    done_sec = -1
    while tk < n_ticks or due:
        if tk >= n_ticks + timeout_ticks + 5_000:
            break  # no request outlives the function timeout; a guard, not a rule
        t = tk * TICK_S
        if tk % 1000 == 0:
            if tk:
                done_sec = tk // 1000 - 1
                world.housekeeping(t, done_sec)
            if progress is not None and tk >= next_report:
                progress(min(1.0, tk / max(n_ticks, 1)))
                next_report = tk + 5000
        r = rel[tk & mask]
        if r:
            rel[tk & mask] = 0
            marks[tk & mask] = 0
            lam.release(t, r)
        items = due.pop(tk, None)
        if tk == busy_ticks[next_arrival]:
            row = next_arrival
            next_arrival += 1
            sec = tk // 1000
            for e_i, ep in enumerate(eps):
                n = arriving[e_i][row]
                if not n:
                    continue
                fig.offered[sec] += n
                if fd is not None:
                    k = fd.take_whole(t, n)
                    if k < n:
                        causes[ThrottleCause.FRONT_DOOR] += n - k
                        sink.add(sec, ep, ErrorClass.THROTTLED, REJECT_MS, n - k)
                        n = k
                        if not n:
                            continue
                adm = lam.admit(t, n)
                warm, cold, thr = adm.warm, adm.cold, adm.throttled
                if thr:
                    assert adm.cause is not None
                    causes[adm.cause] += thr
                    fig.throttles[sec] += thr
                    sink.add(sec, ep, lthr, REJECT_MS, thr)
                fig.invocations[sec] += warm + cold
                lat_l = 0
                err_l = 0.0
                if faults.any:
                    lat_l = math.ceil(faults.lambda_latency_ms(t))
                    err_l = faults.lambda_error_rate(t)
                if cold:
                    fig.cold[sec] += cold
                    cs = np.asarray(cold_dist.sample(streams.cold, cold), dtype=float)
                    n_err = int(rng.binomial(cold, err_l)) if err_l else 0
                    for j, c_ms in enumerate(np.maximum(1, np.ceil(cs)).astype(np.int64).tolist()):
                        if j < n_err:
                            lambda_error(tk, tk + c_ms + lat_l, 1, ep)
                        else:
                            due.setdefault(tk + c_ms + lat_l, []).append((tk, 1, 1, ep, None))
                if warm and err_l:
                    n_err = int(rng.binomial(warm, err_l))
                    if n_err:
                        lambda_error(tk, tk + max(1, lat_l), n_err, ep)
                        warm -= n_err
                if warm and lat_l:
                    due.setdefault(tk + lat_l, []).append((tk, 1, warm, ep, None))
                    warm = 0
                if warm:
                    if items is None and plain:
                        # common case: only this cohort calls DynamoDB in this tick
                        pool = pools[0]
                        u = units[ep]
                        if pool.available(t) >= warm * u:
                            pool.take(t, warm * u)
                            succeed(tk, tk, 1, warm, ep)
                        else:
                            resolve(tk, t, [(tk, 1, warm, ep, None)])
                    elif items is None:
                        items = [(tk, 1, warm, ep, None)]
                    else:
                        items.append((tk, 1, warm, ep, None))
        if items is not None:
            resolve(tk, t, items)
        if tk < n_ticks:
            b = lam.busy
            if b > cmax:
                cmax = b
            if tk % 1000 == 999:
                conc[tk // 1000] = cmax
                cmax = lam.busy
        tk += 1
        # Skip ahead over ticks where nothing happens (no arrival, no DynamoDB call due, no
        # environment released): they change no state. The last tick of a second (the
        # concurrency gauge) and the first of the next (housekeeping) are always visited,
        # so a quiet stretch costs a few steps per second, not one per millisecond.
        if not skipping:
            continue
        nxt = busy_ticks[next_arrival]
        ph = tk % 1000
        if ph and (ph != 999 or tk >= n_ticks) and nxt > tk and not marks[tk & mask]:
            if due:
                nxt = min(nxt, min(due))
            edge = tk - ph + (999 if tk < n_ticks else 1000)
            if edge < nxt:
                nxt = edge
            if nxt > tk:  # at most 1,000 ticks ahead, well inside the ring
                lo, hi = tk & mask, nxt & mask
                if lo < hi:
                    r = marks.find(1, lo, hi)
                    tk = nxt if r < 0 else tk + (r - lo)
                else:  # the stretch wraps around the ring's end
                    r = marks.find(1, lo)
                    if r >= 0:
                        tk += r - lo
                    else:
                        r = marks.find(1, 0, hi)
                        tk = nxt if r < 0 else tk + (size - lo) + r
    for sec in range(done_sec + 1, seconds + 1):
        world.housekeeping(float(sec + 1), sec)
    if progress is not None:
        progress(1.0)
    _fold_runs(world, eps, runs, svc_ms)


def _first(pair: tuple[float, Item]) -> float:
    return pair[0]


def base_ms(tk: int, a_tick: int) -> float:
    return float(tk - a_tick)


def _fold_runs(
    world: World, eps: list[Endpoint], runs: list[list[int]], svc_ms: dict[Endpoint, np.ndarray]
) -> None:
    """Turn recorded runs of successful requests into latencies in the sink (in bulk: a run is
    ``count`` consecutive service times from ``first``, each plus the run's base ms)."""
    if not runs:
        return
    table = np.asarray(runs, dtype=np.int64)
    timeout_ms = world.timeout_ms
    for ep_i, endpoint in enumerate(eps):
        mine = table[table[:, 0] == ep_i]
        if not mine.size:
            continue
        sec, base, first, count = mine[:, 1], mine[:, 2], mine[:, 3], mine[:, 4]
        n = int(count.sum())
        ends = np.cumsum(count)
        within = np.arange(n, dtype=np.int64) - np.repeat(ends - count, count)
        lat = svc_ms[endpoint][np.repeat(first, count) + within] + np.repeat(base, count)
        secs = np.repeat(sec, count)
        ep = endpoint.value
        late = lat >= timeout_ms
        if late.any():
            late_secs, late_n = np.unique(secs[late], return_counts=True)
            world.causes[ThrottleCause.LAMBDA_TIMEOUT] += int(late_n.sum())
            for t, c in zip(late_secs.tolist(), late_n.tolist(), strict=True):
                world.sink.add(t, ep, ErrorClass.SERVER, timeout_ms, c)
            lat, secs = lat[~late], secs[~late]
        world.sink.add_columns(secs, ep, None, lat)
