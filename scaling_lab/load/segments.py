"""Distributed load: k6 execution segments, many k6 runners, one exactly merged result.

A scenario split into N execution segments (``--execution-segment i/N:(i+1)/N`` with the
shared ``--execution-segment-sequence 0,1/N,...,1``) runs as N k6 processes; k6 stripes every
arrival-rate executor's iterations over the segments so their union is the whole test
(https://grafana.com/docs/k6/latest/using-k6/k6-options/reference/#execution-segment). Every
runner streams its samples into its own CSV reader; all readers fold into ONE ResultBuilder
under one lock, so the per-second HDR histograms (and every percentile and threshold judged
on them) are exactly those of the union of all samples, not an average of per-runner figures.
Each runner's times are taken from its own start mark, so runners need no shared clock.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import os
import shlex
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import IO

from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.load.aggregate import (
    START_METRIC,
    K6CsvAggregator,
    LiveStats,
    page_note,
)
from scaling_lab.load.k6proc import K6Process, K6Run
from scaling_lab.result.builder import ResultBuilder
from scaling_lab.result.histogram import LatencyHistogram
from scaling_lab.result.models import RunResult
from scaling_lab.scenario.models import Scenario
from scaling_lab.system.models import SystemConfig

__all__ = [
    "MAX_RUNNERS",
    "AggregatorGroup",
    "K6Group",
    "LockedAggregator",
    "RemoteK6Process",
    "collect_result",
    "fold_csv_files",
    "segment_args",
    "segment_sequence",
]

MAX_RUNNERS = 64
_KEPT_PREFIXES = ("http_req_duration,", "dropped_iterations,", START_METRIC + ",", "metric_name,")
_STOP_GRACE_S = 20.0


def segment_sequence(n: int) -> list[Fraction]:
    """``0, 1/n, ..., 1``: the boundaries every runner of an n-way split shares."""
    if not 1 <= n <= MAX_RUNNERS:
        raise ValueError(f"runners must be between 1 and {MAX_RUNNERS}, got {n}")
    return [Fraction(i, n) for i in range(n + 1)]


def segment_args(index: int, n: int) -> list[str]:
    """k6 options of runner ``index`` (0-based) of ``n``; none for a single runner."""
    if n == 1:
        return []
    seq = segment_sequence(n)
    return [
        "--execution-segment",
        f"{seq[index]}:{seq[index + 1]}",
        "--execution-segment-sequence",
        ",".join(str(f) for f in seq),
    ]


class _Tee:
    """Keep the rows the aggregator reads (gzip CSV), so a run can be re-folded later."""

    def __init__(self, path: Path) -> None:
        self._out: IO[str] = gzip.open(path, "wt", encoding="utf-8")  # noqa: SIM115
        self._tail = ""

    def write(self, chunk: str) -> None:
        lines = (self._tail + chunk).split("\n")
        self._tail = lines.pop()
        kept = [ln for ln in lines if ln.startswith(_KEPT_PREFIXES)]
        if kept:
            self._out.write("\n".join(kept) + "\n")

    def close(self) -> None:
        if self._tail.startswith(_KEPT_PREFIXES):
            self._out.write(self._tail + "\n")
        self._out.close()


class LockedAggregator(K6CsvAggregator):
    """One runner's CSV reader; every runner's reader shares ``lock`` and the builder."""

    def __init__(
        self,
        builder: ResultBuilder,
        endpoints: Iterable[str],
        lock: threading.Lock,
        *,
        live: LiveStats | None = None,
        duration_s: float | None = None,
        keep: Path | None = None,
    ) -> None:
        super().__init__(builder, endpoints, live=live, duration_s=duration_s)
        self._lock = lock
        self._keep = _Tee(keep) if keep is not None else None

    def feed(self, chunk: str) -> None:
        if self._keep is not None:
            self._keep.write(chunk)
        with self._lock:
            super().feed(chunk)

    def finish(self) -> None:
        if self._keep is not None:
            self._keep.close()
        with self._lock:
            super().finish()


class AggregatorGroup:
    """The runners' readers seen as one (what the run reads back after k6 exits)."""

    def __init__(self, members: Sequence[K6CsvAggregator]) -> None:
        self.members = list(members)

    @property
    def start_ms(self) -> float | None:
        marks = [m.start_ms for m in self.members if m.start_ms is not None]
        return min(marks) if marks else None

    @property
    def requests(self) -> int:
        return sum(m.requests for m in self.members)

    @property
    def dropped(self) -> int:
        return sum(m.dropped for m in self.members)

    @property
    def ok_by_endpoint(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for m in self.members:
            out.update(m.ok_by_endpoint)
        return dict(out)

    def page_note(self) -> str | None:
        pages: dict[int, LatencyHistogram] = {}
        for m in self.members:
            for page, h in m.inbox_pages.items():
                pages.setdefault(page, LatencyHistogram()).merge(h)
        return page_note(pages)


def _merge_runs(runs: Sequence[K6Run]) -> K6Run:
    codes = [r.exit_code for r in runs]
    bad = [c for c in codes if c not in (0, 99)]
    code = bad[0] if bad else (99 if 99 in codes else 0)
    kinds: Counter[str] = Counter()
    exhausted: Counter[str] = Counter()
    for r in runs:
        kinds.update(r.failure_kinds)
        exhausted.update(r.vus_exhausted)  # VUs reached, summed over runners
    worst = next((r for r in runs if r.exit_code == code), runs[0])
    return K6Run(
        exit_code=code,
        interrupted=any(r.interrupted for r in runs),
        request_failed_warnings=sum(r.request_failed_warnings for r in runs),
        failure_kinds=kinds,
        log_tail=list(worst.log_tail),
        vus_exhausted=dict(exhausted),
    )


class K6Group:
    """N ``k6 run`` processes started together; ``wait`` returns one merged K6Run."""

    def __init__(self, procs: Sequence[K6Process]) -> None:
        self.procs = list(procs)

    def start(self) -> None:
        started: list[K6Process] = []
        try:
            for p in self.procs:
                p.start()
                started.append(p)
        except BaseException:
            for p in started:
                p.kill()
            raise

    def _running(self) -> list[subprocess.Popen[bytes]]:
        return [p.proc for p in self.procs if p.proc is not None and p.proc.poll() is None]

    def stop(self) -> None:
        """SIGINT to every runner at once (each ends its iterations), then wait; kill laggards."""
        running = self._running()
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + _STOP_GRACE_S
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                self.kill()

    def kill(self) -> None:
        for p in self.procs:
            p.kill()

    def wait(self, tick: Callable[[], None] | None = None) -> K6Run:
        interrupted = False
        try:
            while self._running():
                if tick is not None:
                    tick()
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
            try:
                self.stop()
            except KeyboardInterrupt:
                self.kill()
        finally:
            if self._running():
                self.kill()
        merged = _merge_runs([p.wait() for p in self.procs])  # all exited: joins the readers
        merged.interrupted = merged.interrupted or interrupted
        return merged


def fold_csv_files(
    builder: ResultBuilder, endpoints: Iterable[str], files: Sequence[Path]
) -> AggregatorGroup:
    """Fold k6 CSV sample files (one per runner, plain or .gz; other lines such as k6's log
    are skipped) into ``builder``, each on its own start mark."""
    lock = threading.Lock()
    eps = list(endpoints)
    duration_s = builder.scenario.duration_s
    members: list[K6CsvAggregator] = []
    for path in files:
        agg = LockedAggregator(builder, eps, lock, duration_s=duration_s)
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="replace") as f:
                while chunk := f.read(1 << 20):
                    agg.feed(chunk)
            agg.finish()
        except (OSError, EOFError, ValueError, IndexError) as exc:  # BadGzipFile is an OSError
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{path}: not a k6 CSV sample file ({why})") from None
        members.append(agg)
    return AggregatorGroup(members)


def collect_result(
    scenario: Scenario,
    system: SystemConfig,
    files: Sequence[Path],
    *,
    target: str,
    scale: float = 1.0,
) -> RunResult:
    """One observed RunResult from k6 runners' CSV sample files (``kubectl logs`` of a
    k6-operator TestRun's runners, or ``runner-<i>/samples.csv.gz`` of ``run --keep-samples``);
    ``scale`` multiplies the scenario's rates as the runners' script did."""
    from scaling_lab.provenance import make_provenance
    from scaling_lab.result.builder import new_run_id
    from scaling_lab.result.models import ResultKind

    scaled = scenario.scaled(scale) if scale != 1.0 else scenario
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise InputError(f"collect: no such sample file: {', '.join(missing)}")
    provenance = make_provenance(
        target=target,
        backend=None,
        seed=scaled.seed,
        scale=scaled.scale,
        mode=f"k6, {len(files)} runners (collected)",
    )
    builder = ResultBuilder(
        scaled, system, ResultKind.OBSERVED, provenance, observable={"dropped_iterations"}
    )
    group = fold_csv_files(builder, [ep.value for ep in scaled.mix.fractions()], files)
    empty = [str(f) for f, m in zip(files, group.members, strict=True) if m.start_ms is None]
    if not any(m.requests for m in group.members):
        empty = [str(f) for f in files]  # samples, but none of this scenario's endpoints
    if empty:
        raise InputError(
            f"collect: no k6 samples of this scenario's endpoints in: {', '.join(empty)} "
            "(expected k6 --out csv output; leave such a file out to collect the others)"
        )
    if group.dropped:
        builder.notes.append(f"{group.dropped} iterations dropped by the runners")
    note = group.page_note()
    if note:
        builder.notes.append(note)
    return builder.build(run_id=new_run_id(scaled.name, ResultKind.OBSERVED))


class RemoteK6Process(K6Process):
    """One ``k6 run`` on another host over SSH: the script and the API keys go through stdin
    (never a command line), samples come back on stdout (``--out csv=/dev/stdout``), k6's log
    on stderr. Stopping it ends the SSH session; the remote k6 then stops writing into a
    closed pipe."""

    def __init__(
        self,
        ssh: Sequence[str],
        host: str,
        remote_k6: str,
        script: Path,
        work_dir: Path,
        env: Mapping[str, str],
        aggregator: K6CsvAggregator,
        summary_export: Path,
        extra_args: Sequence[str] = (),
    ) -> None:
        super().__init__(remote_k6, script, work_dir, env, aggregator, summary_export, extra_args)
        self.fifo.unlink(missing_ok=True)  # samples come on stdout instead
        self.host = host
        self._script_text = script.read_text(encoding="utf-8")
        keys = env.get("SL_API_KEYS", "")
        self._stdin = (keys + "\n" + self._script_text).encode("utf-8")
        plain = {k: v for k, v in env.items() if k != "SL_API_KEYS"}
        plain.update(K6_CSV_TIME_FORMAT="unix_milli", K6_NO_USAGE_REPORT="true")
        k6_cmd = [
            remote_k6,
            "run",
            "--quiet",
            "--no-color",
            "--no-usage-report",
            "--no-summary",
            "--address",
            "",
            "--out",
            "csv=/dev/stdout",
            *extra_args,
            "-",
        ]
        remote = (
            "IFS= read -r SL_API_KEYS; export SL_API_KEYS; exec env "
            + " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(plain.items()))
            + " "
            + " ".join(shlex.quote(a) for a in k6_cmd)
        )
        self.cmd = [*ssh, "-o", "BatchMode=yes", host, "sh -c " + shlex.quote(remote)]
        self.env = dict(os.environ)

    def _read_remote(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            fd = self.proc.stdout.fileno()
            while data := os.read(fd, 1 << 20):
                self.aggregator.feed(decoder.decode(data))
            self.aggregator.feed(decoder.decode(b"", final=True))
            self.aggregator.finish()
        except BaseException as exc:  # surfaced by wait()
            self._reader_error = exc

    def _write_stdin(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.write(self._stdin)
            self.proc.stdin.close()

    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.cmd,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise EnvironmentProblem(f"cannot start {self.cmd[0]} for {self.host}: {exc}") from None
        self._opened.set()
        for target, name in (
            (self._write_stdin, "k6-stdin"),
            (self._read_remote, "k6-samples"),
            (self._read_stderr, "k6-stderr"),
        ):
            thread = threading.Thread(target=target, name=f"{name}-{self.host}", daemon=True)
            thread.start()
            if name == "k6-samples":
                self._reader = thread
            elif name == "k6-stderr":
                self._stderr = thread
