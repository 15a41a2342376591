"""Where the history lives: ``--store`` / SCALING_LAB_STORE, SCALING_LAB_HOME, or the project."""

from __future__ import annotations

import os
from pathlib import Path

from scaling_lab.store.base import HistoryStore

__all__ = ["default_store_location", "open_store", "project_root"]

DB_NAME = "history.sqlite"


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding a scenarios/ folder, .git or
    pyproject.toml; ``start`` itself when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (
            (folder / "scenarios").is_dir()
            or (folder / ".git").exists()
            or (folder / "pyproject.toml").is_file()
        ):
            return folder
    return here


def default_store_location() -> str:
    """SCALING_LAB_STORE (path or s3:// URL), else $SCALING_LAB_HOME/history.sqlite, else
    <project>/.scaling-lab/history.sqlite."""
    explicit = os.environ.get("SCALING_LAB_STORE")
    if explicit:
        return explicit
    home = os.environ.get("SCALING_LAB_HOME")
    if home:
        return str(Path(home).expanduser() / DB_NAME)
    return str(project_root() / ".scaling-lab" / DB_NAME)


def open_store(
    location: str | Path | None = None, *, endpoint_url: str | None = None
) -> HistoryStore:
    """Open the history at ``location`` (a SQLite path or ``s3://bucket/prefix``)."""
    loc = str(location) if location is not None else default_store_location()
    if loc.startswith("s3://"):
        from scaling_lab.store.s3 import S3Store

        endpoint = endpoint_url or os.environ.get("SCALING_LAB_S3_ENDPOINT_URL") or None
        return S3Store(loc, endpoint_url=endpoint)
    from scaling_lab.store.sqlite import SqliteStore

    path = Path(loc).expanduser()
    if path.is_dir():
        path = path / DB_NAME
    return SqliteStore(path)
