"""Child processes on loopback: free ports, readiness by health check, shutdown without orphans.

Each child gets its own process group (so a terminal's Ctrl-C reaches only the parent, which
stops children in order) and, on Linux, a parent-death signal so that a parent killed with
SIGKILL does not leave orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from emulator.stack.errors import BackendUnavailable

__all__ = ["ChildProcess", "free_port", "wait_http"]

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildProcess:
    """One started child; output goes to ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=cwd,
                start_new_session=True,
                # Linux sends the parent-death signal when the spawning *thread* ends, so it is
                # only armed from the main thread; other children rely on stop()/atexit.
                preexec_fn=(
                    _die_with_parent
                    if threading.current_thread() is threading.main_thread()
                    else None
                ),
            )
        except OSError as exc:
            self._log.close()
            raise BackendUnavailable(f"{name}: cannot start {self.argv[0]}: {exc}") from exc

    @property
    def pid(self) -> int:
        """Process id."""
        return int(self.popen.pid)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """Last lines of the child's output (for error messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the process group at once (used to test crash safety)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout_s: float = 8.0) -> None:
        """SIGTERM the process group, then SIGKILL after ``timeout_s``; idempotent."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        else:
            self.popen.wait()
        # Reap anything left in the group (e.g. a grandchild that ignored SIGTERM).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if not self._log.closed:
            self._log.close()


def _last_line(text: str) -> str:
    """The last meaningful line of a log (a traceback's final 'Error: message' line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def wait_http(
    url: str,
    timeout_s: float,
    child: ChildProcess | None = None,
    ok: Callable[[int], bool] = lambda status: status < 500,
) -> None:
    """Poll ``url`` until it answers with an acceptable status; raise when the child dies."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            raise BackendUnavailable(
                f"{child.name} exited with code {child.popen.returncode} before it was ready: "
                f"{_last_line(child.log_tail())} (full log: {child.log_path})"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
            time.sleep(0.05)
            continue
        if ok(status):
            return
        last = f"HTTP {status}"
        time.sleep(0.1)
    name = child.name if child is not None else url
    raise BackendUnavailable(f"{name} not ready after {timeout_s:.0f}s at {url} ({last})")
