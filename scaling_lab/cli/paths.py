"""Paths a command writes, checked before anything runs: one place for every command.

A folder option (``--out``, ``--data-dir``) must be a folder that exists or can be made and is
writable; a file option (``--state-file``) must not be a folder and its folder must be
writable. An output file (:func:`output_file`: ``calibrate -o``, ``--junit``) never replaces
a file scaling-lab did not write, or one the command reads, without ``--force``. Problems are
:class:`~scaling_lab.errors.InputError` naming the option (exit 2), so a run never starts only
to fail at its end for want of a place to write.

:class:`StateLock` is the state file of ``up``: an exclusive lock (``fcntl.flock`` on
``<state>.lock``, released by the OS when the process dies, so a killed ``up`` leaves no stale
lock) means two stacks never share one state file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from scaling_lab.errors import InputError

__all__ = ["StateLock", "output_file", "writable_dir", "writable_file"]


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def writable_dir(path: Path, option: str, *, create: bool = False) -> Path:
    """``path`` as a folder that is writable, or can be made where it would be; made now only
    with ``create`` (a run refused by a later check leaves nothing behind)."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{option}: {path} is a file; expected a folder")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{option}: cannot write in {path}: {_why(exc)}") from None
    probe = path
    while not probe.exists():  # the folder that would hold it
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{option}: cannot write in {path}: {probe} is a file")
    try:
        # The only reliable test of writability (ACLs, read-only mounts, root): write.
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise InputError(f"{option}: cannot write in {path}: {_why(exc)}") from None
    return path


def writable_file(path: Path, option: str) -> Path:
    """``path`` as a file that can be written (its folder made if missing)."""
    if path.is_dir():
        raise InputError(f"{option}: {path} is a folder; expected a file")
    writable_dir(path.parent if str(path.parent) else Path("."), option, create=True)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option}: cannot write {path}: permission denied")
    return path


def _holds(path: Path, marker: str) -> bool:
    """Whether the first 4 KiB of ``path`` hold ``marker`` (what scaling-lab writes there)."""
    try:
        with path.open("rb") as f:
            return marker.encode() in f.read(4096)
    except OSError:
        return False


def output_file(
    path: Path,
    option: str,
    *,
    force: bool,
    written_by: str,
    inputs: Sequence[tuple[str, Path]] = (),
) -> Path:
    """``path`` as a file this command may write (:func:`writable_file`), and without
    ``force`` never a user's file: an existing file is replaced only when it holds
    ``written_by`` (a file scaling-lab wrote there before), and never when it is one of
    ``inputs`` (``(what, path)``: the files the command reads)."""
    writable_file(path, option)
    if force or not path.exists():
        return path
    for what, source in inputs:
        with contextlib.suppress(OSError):
            if os.path.samefile(path, source):
                raise InputError(
                    f"{option}: {path} is the {what} this reads; "
                    "write elsewhere, or give --force to overwrite it"
                )
    if not _holds(path, written_by):
        raise InputError(
            f"{option}: {path} exists and was not written by scaling-lab; "
            "give --force to overwrite it"
        )
    return path


class StateLock:
    """The state file of one running ``up``; :meth:`acquire` before starting anything."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def acquire(cls, path: Path, option: str) -> StateLock:
        """Lock ``path`` for this process; :class:`InputError` when another ``up`` holds it."""
        writable_file(path, option)
        lock_path = path.with_name(path.name + ".lock")
        try:
            handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        except OSError as exc:
            raise InputError(f"{option}: cannot write {lock_path}: {_why(exc)}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise InputError(
                f"{option}: {path} belongs to another running `scaling-lab up` (pid {holder}); "
                "stop it, or give this one its own --state-file"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return cls(path, handle)

    def write(self, state: dict[str, Any]) -> None:
        """Write the state (atomically: readers never see half a file)."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def release(self) -> None:
        """Remove the state file and give up the lock."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if not self._handle.closed:
            # The lock file stays: removing it would let a waiting `up` lock a file that a
            # third one no longer sees.
            self._handle.close()
