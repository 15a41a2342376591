"""SimFaaS reference: simulated requests per CPU second of the published serverless simulator.

    python benchmarks/simfaas_reference.py

SimFaaS (Mahmoudi & Khazaei, PyPI ``simfaas`` 0.2.2, ``pip install simfaas==0.2.2``) is run
through its own API only: ``simfaas.ServerlessSimulator.ServerlessSimulator(...)`` then
``generate_trace(debug_print=False, progress=False)``. The workload is the one both SimFaaS
and scaling-lab's model can express: a single function under a long, low-rate load,
0.9 req/s for a day (24 h, ~77,800 requests; a scenario's traffic is at most a day), warm
18 ms, cold 250 ms, idle reclaim 600 s.

What SimFaaS simulates, and which of its options map to which quantity:

- ``arrival_rate=rate_per_s``: Poisson arrivals at a constant rate (SimFaaS draws each
  exponential inter-arrival gap from ``np.random.exponential(1 / rate)``, NumPy's global
  generator, so ``np.random.seed(seed)`` seeds the run).
- ``warm_service_rate=1000 / warm_ms``: the service time of a request that finds an idle
  instance, **exponentially distributed** with mean ``warm_ms`` (SimFaaS's kwargs always build
  an exponential process; a fixed time needs ``warm_service_process=ConstSimProcess(...)``,
  which ``service="constant"`` below selects).
- ``cold_service_rate=1000 / cold_ms``: the **whole** response time of a request that finds no
  idle instance (a cold start), exponential with mean ``cold_ms``. It replaces the warm time;
  it is not an init time added to it. scaling-lab's ``cold_start_ms`` is added to the handler
  time, so the scaling-lab side of a like-for-like run uses ``cold_ms - warm_ms`` as init.
  SimFaaS requires ``warm_service_rate >= cold_service_rate`` (cold no faster than warm).
- ``expiration_threshold=idle_reclaim_s``: an instance idle that long after its last
  departure is terminated (scaling-lab's ``idle_reclaim_s``).
- ``max_time=duration_s``: simulated seconds; the run stops at the first event at or past it.
- ``maximum_concurrency`` is left at SimFaaS's 1,000 (never reached at 0.9 req/s); a request
  arriving at the cap is rejected, not queued. Each instance serves one request at a time; a
  warm request goes to the newest idle instance.

Its cost: one Python loop iteration per event (arrival, departure or expiration, about two
per request here), each building a NumPy array of every live instance's next transition time,
and appending to four per-event history lists plus one per-request index list (it always
keeps that history; there is no option to turn it off). So the cost is proportional to events,
hence to requests, times the number of live instances. Nothing is printed unless
``debug_print`` or ``progress`` is set; the run is silenced anyway.
"""

from __future__ import annotations

import contextlib
import io
import time

import numpy as np
from simfaas.ServerlessSimulator import ServerlessSimulator
from simfaas.SimProcess import ConstSimProcess, ExpSimProcess

__all__ = ["simfaas_rate"]


def simfaas_rate(
    rate_per_s: float,
    duration_s: float,
    warm_ms: float,
    cold_ms: float,
    idle_reclaim_s: float,
    seed: int = 1,
    *,
    service: str = "exponential",
) -> tuple[float, int, float]:
    """(simulated requests per CPU s, requests simulated, CPU s) of one SimFaaS run.

    CPU time is ``time.process_time()`` around ``generate_trace`` only (construction and the
    import are outside it). ``service`` is ``"exponential"`` (SimFaaS's rate kwargs, its
    default) or ``"constant"`` (``ConstSimProcess``: every warm request takes ``warm_ms``,
    every cold one ``cold_ms``)."""
    if service == "exponential":
        warm, cold = ExpSimProcess(rate=1000.0 / warm_ms), ExpSimProcess(rate=1000.0 / cold_ms)
    elif service == "constant":
        warm, cold = ConstSimProcess(rate=1000.0 / warm_ms), ConstSimProcess(rate=1000.0 / cold_ms)
    else:
        raise ValueError(f"service: expected 'exponential' or 'constant', got {service!r}")
    np.random.seed(seed)
    sim = ServerlessSimulator(
        arrival_rate=rate_per_s,
        warm_service_process=warm,
        cold_service_process=cold,
        expiration_threshold=idle_reclaim_s,
        max_time=duration_s,
    )
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        t0 = time.process_time()
        sim.generate_trace(debug_print=False, progress=False)
        cpu = time.process_time() - t0
    n = int(sim.total_req_count)
    return n / cpu, n, cpu


def main() -> None:
    rate, hours, warm, cold, reclaim = 0.9, 24, 18.0, 250.0, 600.0
    for service in ("exponential", "constant"):
        r, n, cpu = simfaas_rate(rate, hours * 3600.0, warm, cold, reclaim, service=service)
        print(
            f"SimFaaS 0.2.2, {rate:g} req/s Poisson for {hours} h, warm {warm:g} ms, cold "
            f"{cold:g} ms ({service}), reclaim {reclaim:g} s: {n:,} requests in {cpu:.2f} "
            f"CPU s = {r:,.0f} simulated requests / CPU s"
        )


if __name__ == "__main__":
    main()
