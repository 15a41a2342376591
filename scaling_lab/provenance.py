"""Provenance helpers: git sha, tool versions, host."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from scaling_lab.result.models import Provenance

__all__ = ["git_sha", "make_provenance", "tool_versions"]


def git_sha(cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd or Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and sha else None


def tool_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("scaling-lab", "simpy", "boto3", "hdrhistogram", "k6"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    versions.update(extra or {})
    return versions


def make_provenance(
    *,
    target: str,
    backend: str | None,
    seed: int | None,
    scale: float = 1.0,
    mode: str | None = None,
    replications: int | None = None,
    arrivals: str | None = None,
    extra_versions: dict[str, str] | None = None,
) -> Provenance:
    return Provenance(
        git_sha=git_sha(),
        target=target,
        backend=backend,
        seed=seed,
        scale=scale,
        mode=mode,
        replications=replications,
        arrivals=arrivals,
        tool_versions=tool_versions(extra_versions),
        started_at=datetime.now(UTC),
        host=platform.node() or None,
    )
