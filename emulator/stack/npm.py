"""Node.js backends: find ``node``, install the locked npm packages once into a cache.

The lock file shipped with the package (``emulator/stack/node/package-lock.json``) is
installed with ``npm ci`` into ``$SCALING_LAB_NODE_DIR`` or
``$XDG_CACHE_HOME/scaling-lab/node/<lock hash>`` on first use; later starts reuse it.
``python -m emulator.stack.npm`` does the install ahead of time (CI setup does).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from emulator.stack.errors import BackendUnavailable

__all__ = [
    "DYNALITE_SERVER",
    "NODE_PACKAGE_DIR",
    "dynalite_cli",
    "ensure_node_modules",
    "node_binary",
]

NODE_PACKAGE_DIR = Path(__file__).with_name("node")
# dynalite's CLI behind a guard that keeps it serving when a client dies mid-request.
DYNALITE_SERVER = NODE_PACKAGE_DIR / "dynalite_server.js"
MIN_NODE_MAJOR = 20  # dynalite 4 declares engines.node >= 20


def node_binary() -> str:
    """Path of ``node`` (>= 20); BackendUnavailable naming the fix when missing or too old."""
    node = shutil.which("node")
    if node is None:
        raise BackendUnavailable(
            "node not found: the embedded DynamoDB (dynalite) needs Node.js >= 20 "
            "(e.g. apt-get install nodejs npm)"
        )
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    version = out.stdout.strip().lstrip("v")
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if major < MIN_NODE_MAJOR:
        raise BackendUnavailable(f"node {version or '?'} is too old: need >= {MIN_NODE_MAJOR}")
    return node


def _cache_dir() -> Path:
    override = os.environ.get("SCALING_LAB_NODE_DIR")
    if override:
        return Path(override)
    lock = (NODE_PACKAGE_DIR / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "scaling-lab" / "node" / digest


def ensure_node_modules(quiet: bool = False) -> Path:
    """Directory holding ``node_modules`` for the locked packages, installing them if needed."""
    target = _cache_dir()
    marker = target / "node_modules" / ".scaling-lab-installed"
    if marker.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise BackendUnavailable(
            "npm not found: needed once to install dynalite (apt-get install npm)"
        )
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return target
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(NODE_PACKAGE_DIR / name, target / name)
        if not quiet:
            print(
                f"scaling-lab: installing the embedded DynamoDB backend (npm ci) into {target} ...",
                file=sys.stderr,
                flush=True,
            )
        proc = subprocess.run(
            [npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=target,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise BackendUnavailable(
                f"npm ci failed in {target} (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-800:]}"
            )
        marker.write_text("ok\n")
        if not quiet:
            print("scaling-lab: embedded DynamoDB backend installed", file=sys.stderr, flush=True)
    return target


def dynalite_cli() -> Path:
    """The dynalite command-line entry point (installing it on first use)."""
    return ensure_node_modules() / "node_modules" / "dynalite" / "cli.js"


if __name__ == "__main__":
    print(ensure_node_modules())
