"""Load system files: found by name or path, read and validated like scenario files."""

from __future__ import annotations

from pathlib import Path

from scaling_lab.scenario.loader import load_model, resolve_file, scenarios_dir
from scaling_lab.system.models import SystemConfig

__all__ = ["find_system", "load_system"]


def find_system(ref: str | Path, relative_to: Path | None = None) -> Path:
    """A system by name (the ``systems`` folder next to ``relative_to``, then the shipped
    one) or by path (relative to ``relative_to``'s folder first, then the working directory)."""
    shipped = scenarios_dir() / "systems"
    folders = [shipped]
    if relative_to is not None:
        local = relative_to.parent / "systems"
        if local.is_dir() and local.resolve() != shipped.resolve():
            folders.insert(0, local)
    return resolve_file(ref, folders, "system", relative_to.parent if relative_to else None)


def load_system(ref: str | Path, relative_to: Path | None = None) -> SystemConfig:
    """Load a system file by name (``staging``) or path (see :func:`find_system`)."""
    return load_model(find_system(ref, relative_to), SystemConfig)
