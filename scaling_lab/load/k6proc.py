"""Run k6 as a subprocess: samples through a FIFO into the aggregator, filtered stderr, Ctrl-C."""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scaling_lab.errors import EnvironmentProblem
from scaling_lab.load.aggregate import K6CsvAggregator

__all__ = ["K6Process", "K6Run"]

_REQUEST_FAILED = 'msg="Request Failed"'
# ramping-arrival-rate's warning when it needs a VU beyond maxVUs (the cause of dropped
# iterations that is not the load machine): "Insufficient VUs, reached N active VUs ..."
_INSUFFICIENT_VUS = re.compile(r"Insufficient VUs, reached (\d+) active VUs.*?scenario=(\w+)")
_ERROR_FIELD = re.compile(r'error="((?:[^"\\]|\\.)*)"')  # logfmt value with \" escapes
_READ_BYTES = 1 << 20
_STOP_GRACE_S = 20.0


@dataclass
class K6Run:
    exit_code: int
    interrupted: bool
    request_failed_warnings: int
    failure_kinds: Counter[str] = field(default_factory=Counter)
    log_tail: list[str] = field(default_factory=list)
    vus_exhausted: dict[str, int] = field(default_factory=dict)  # k6 scenario -> VUs reached


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """k6 gets SIGTERM (a clean stop) if scaling-lab dies without stopping it."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _unblock_fifo(path: Path) -> None:
    """Wake a reader still waiting in open() because k6 never opened the FIFO."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)


class K6Process:
    """One ``k6 run``; ``wait(tick)`` calls ``tick`` twice a second until k6 exits."""

    def __init__(
        self,
        k6_path: str,
        script: Path,
        work_dir: Path,
        env: Mapping[str, str],
        aggregator: K6CsvAggregator,
        summary_export: Path,
        extra_args: Sequence[str] = (),
    ) -> None:
        """``extra_args`` go before the script (``--execution-segment`` of one runner)."""
        self.aggregator = aggregator
        self.fifo = work_dir / "samples.csv.fifo"
        self.fifo.unlink(missing_ok=True)
        os.mkfifo(self.fifo)
        self.log_path = work_dir / "k6.log"
        self.stdout_path = work_dir / "k6-stdout.txt"
        self.cmd = [
            k6_path,
            "run",
            "--quiet",
            "--no-color",
            "--no-usage-report",
            "--address",
            "",  # no REST API listener: runs never collide on port 6565
            "--summary-export",
            str(summary_export),
            "--out",
            f"csv={self.fifo}",
            *extra_args,
            str(script),
        ]
        self.env = {
            **os.environ,
            **env,
            "K6_CSV_TIME_FORMAT": "unix_milli",
            "K6_NO_USAGE_REPORT": "true",
        }
        self._failed = 0
        self._kinds: Counter[str] = Counter()
        self._tail: deque[str] = deque(maxlen=20)
        self._vus_exhausted: dict[str, int] = {}
        self._reader_error: BaseException | None = None
        self._opened = threading.Event()
        self.proc: subprocess.Popen[bytes] | None = None

    # -- threads ----------------------------------------------------------------------------
    def _read_samples(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            with open(self.fifo, "rb", buffering=0) as f:
                self._opened.set()
                while True:
                    data = f.read(_READ_BYTES)
                    if not data:
                        break
                    self.aggregator.feed(decoder.decode(data))
            self.aggregator.feed(decoder.decode(b"", final=True))
            self.aggregator.finish()
        except BaseException as exc:  # surfaced by wait()
            self._reader_error = exc

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        with open(self.log_path, "w", encoding="utf-8") as out:
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if _REQUEST_FAILED in line:  # one per failed request: count, never print
                    self._failed += 1
                    m = _ERROR_FIELD.search(line)
                    if m and len(self._kinds) < 50:
                        text = m.group(1).replace('\\"', '"')
                        self._kinds[re.sub(r"\d+", "N", text)[:160]] += 1
                    continue
                vus = _INSUFFICIENT_VUS.search(line)
                if vus is not None:
                    name = vus.group(2)
                    self._vus_exhausted[name] = max(
                        self._vus_exhausted.get(name, 0), int(vus.group(1))
                    )
                out.write(line + "\n")
                self._tail.append(line)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=open(self.stdout_path, "wb"),  # noqa: SIM115 - closed when k6 exits
                stderr=subprocess.PIPE,
                start_new_session=True,  # the terminal's Ctrl-C reaches us, we forward it once
                preexec_fn=_stop_with_parent,
            )
        except OSError as exc:
            raise EnvironmentProblem(f"cannot start k6 ({self.cmd[0]}): {exc}") from None
        self._reader = threading.Thread(target=self._read_samples, name="k6-samples", daemon=True)
        self._stderr = threading.Thread(target=self._read_stderr, name="k6-stderr", daemon=True)
        self._reader.start()
        self._stderr.start()

    def stop(self) -> None:
        """Ask k6 to stop (SIGINT: it ends iterations and writes its summary); kill if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=_STOP_GRACE_S)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            self.kill()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait()

    def wait(self, tick: Callable[[], None] | None = None) -> K6Run:
        """Block until k6 exits; Ctrl-C stops k6 cleanly and returns ``interrupted=True``."""
        assert self.proc is not None
        interrupted = False
        try:
            while self.proc.poll() is None:
                if tick is not None:
                    tick()
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
            try:
                self.stop()
            except KeyboardInterrupt:  # a second Ctrl-C: no more waiting
                self.kill()
        finally:
            if self.proc.poll() is None:  # an unexpected error in tick(): never leave k6 behind
                self.kill()
        if not self._opened.is_set():
            _unblock_fifo(self.fifo)
        self._reader.join(timeout=60)
        self._stderr.join(timeout=10)
        self.fifo.unlink(missing_ok=True)
        if isinstance(self._reader_error, OSError):
            raise EnvironmentProblem(f"reading k6's samples failed: {self._reader_error}")
        if self._reader_error is not None:
            raise self._reader_error
        code = self.proc.returncode
        return K6Run(
            exit_code=code if code is not None else -1,
            interrupted=interrupted,
            request_failed_warnings=self._failed,
            failure_kinds=self._kinds,
            log_tail=list(self._tail),
            vus_exhausted=dict(self._vus_exhausted),
        )
