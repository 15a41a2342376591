"""How fast the k6 output aggregator folds samples on one core, next to what k6 emits at 10K req/s.

Records a real k6 output first (k6 1.x against a trivial loopback API, the project's own
rendered script, ``--out csv`` with millisecond timestamps), then folds it with the same
``K6CsvAggregator`` + ``ResultBuilder`` + live view the runner uses. The reference measured in
the same run is a bare line scan of the same text (split into lines, test each prefix, nothing
else): the floor of any line-oriented reader in Python.

    python benchmarks/aggregation.py                          # record 2,000 req/s x 5 s, fold
    python benchmarks/aggregation.py --csv out.csv            # fold an existing k6 CSV output
    python benchmarks/aggregation.py --rate 3000 --seconds 5 --repeat 5

Goal: keep up with 10,000 req/s of k6 output on one core (ratio >= 1).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "k6"))

from fake_api import running  # noqa: E402

from scaling_lab.load.aggregate import K6CsvAggregator, LiveStats  # noqa: E402
from scaling_lab.load.k6bin import find_k6  # noqa: E402
from scaling_lab.load.script import render_script  # noqa: E402
from scaling_lab.provenance import make_provenance  # noqa: E402
from scaling_lab.result import ResultBuilder, ResultKind  # noqa: E402
from scaling_lab.scenario import Scenario  # noqa: E402
from scaling_lab.system import load_system  # noqa: E402

GOAL_REQ_PER_S = 10_000
CHUNK = 1 << 20  # the runner reads the FIFO in 1 MiB chunks


def scenario(rate: float, seconds: float) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "bench-aggregation",
            "traffic": {
                "start_rate": rate,
                "stages": [{"duration": f"{seconds:g}s", "target": rate}],
            },
            "mix": {"post_events": 1},
            "thresholds": {"post_events": ["p(95)<100"]},
        }
    )


def record(sc: Scenario, path: Path) -> None:
    script = path.with_suffix(".js")
    script.write_text(render_script(sc, load_system("staging")), encoding="utf-8")
    with running() as url:
        subprocess.run(
            [
                find_k6().path,
                "run",
                "--quiet",
                "--no-usage-report",
                "--address",
                "",
                "--out",
                f"csv={path}",
                str(script),
            ],
            env={
                **os.environ,
                "K6_CSV_TIME_FORMAT": "unix_milli",
                "SL_BASE_URL": url,
                "SL_API_KEYS": "bench",
                "SL_RUN_ID": "bench",
            },
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def fold(sc: Scenario, text: str) -> tuple[float, int]:
    prov = make_provenance(target="local", backend=None, seed=0, mode="k6")
    builder = ResultBuilder(
        sc, load_system("staging"), ResultKind.OBSERVED, prov, observable={"dropped_iterations"}
    )
    agg = K6CsvAggregator(builder, ["post_events"], live=LiveStats(), duration_s=sc.duration_s)
    t0 = time.process_time()
    for i in range(0, len(text), CHUNK):
        agg.feed(text[i : i + CHUNK])
    agg.finish()
    return time.process_time() - t0, agg.requests


def bare_scan(text: str) -> float:
    t0 = time.process_time()
    n = 0
    tail = ""
    for i in range(0, len(text), CHUNK):
        lines = (tail + text[i : i + CHUNK]).split("\n")
        tail = lines.pop()
        for line in lines:
            if line.startswith("http_req_duration,"):
                n += 1
    return time.process_time() - t0


def retained_mb(seconds: int, seal: bool) -> float:
    """Memory the builder holds after folding ``seconds`` of 2-endpoint traffic (tracemalloc)."""
    import gc
    import tracemalloc

    sc = Scenario.model_validate(
        {
            "name": "bench-memory",
            "traffic": {"start_rate": 50, "stages": [{"duration": f"{seconds}s", "target": 50}]},
            "mix": {"post_events": 80, "get_inbox": 20},
        }
    )
    prov = make_provenance(target="local", backend=None, seed=0, mode="k6")
    tracemalloc.start()
    builder = ResultBuilder(sc, load_system("staging"), ResultKind.OBSERVED, prov)
    for t in range(seconds):
        for i in range(50):
            builder.record(t + i / 50, "post_events" if i % 5 else "get_inbox", 2.0 + i % 37)
        if seal:
            builder.seal_before(t - 60)  # what the aggregator does (60 s behind)
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return size / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, help="fold this k6 CSV output instead of recording")
    ap.add_argument("--rate", type=float, default=2000.0, help="req/s to record at")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=3, help="best of N folds")
    ap.add_argument("--memory-s", type=int, default=600, help="run length for the memory check")
    args = ap.parse_args()

    sc = scenario(args.rate, args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.csv or Path(tmp) / "out.csv"
        if args.csv is None:
            print(f"recording k6 output: {args.rate:,.0f} req/s x {args.seconds:g} s ...")
            record(sc, path)
        text = path.read_text(encoding="utf-8")
    rows = text.count("\n")
    fold_s, requests = min(fold(sc, text) for _ in range(args.repeat))
    scan_s = min(bare_scan(text) for _ in range(args.repeat))
    if requests == 0:
        sys.exit("no http_req_duration samples in the output")
    rows_per_request = rows / requests
    emitted_at_goal = GOAL_REQ_PER_S * rows_per_request
    folded_rows_per_s = rows / fold_s
    print(
        f"k6 output       {len(text) / 1e6:,.1f} MB, {rows:,} rows, {requests:,} requests "
        f"({rows_per_request:.2f} rows/request, {len(text) / requests:,.0f} bytes/request)"
    )
    print(
        f"k6 at 10K req/s emits {emitted_at_goal:,.0f} rows/s "
        f"({emitted_at_goal * len(text) / rows / 1e6:,.1f} MB/s)"
    )
    print(
        f"aggregator      {folded_rows_per_s:,.0f} rows/s = {requests / fold_s:,.0f} req/s "
        f"on one core ({fold_s * 1e6 / requests:.1f} us CPU per request)"
    )
    print(f"bare line scan  {rows / scan_s:,.0f} rows/s (reference, same text, same run)")
    print(
        f"ratio vs k6 at 10K req/s: {folded_rows_per_s / emitted_at_goal:.2f}x "
        f"({'keeps up' if folded_rows_per_s >= emitted_at_goal else 'FALLS BEHIND'}); "
        f"aggregator / bare scan: {scan_s / fold_s:.2f}"
    )
    n = args.memory_s
    half, full = retained_mb(n // 2, True), retained_mb(n, True)
    print(
        f"builder memory  {half:,.1f} MB after {n // 2} s, {full:,.1f} MB after {n} s "
        f"(2 endpoints, seconds sealed 60 s behind); without sealing "
        f"{retained_mb(n, False):,.1f} MB after {n} s"
    )


if __name__ == "__main__":
    main()
