"""Run history in an embedded SQLite database: full RunResult JSON plus indexed columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.result.io import dump_result
from scaling_lab.result.models import RunResult
from scaling_lab.store.base import HistoryStore, parse_stored
from scaling_lab.store.records import Baseline, RunRecord, now_iso, record_of

__all__ = ["SqliteStore"]

SCHEMA_VERSION = 1

_COLUMNS = tuple(RunRecord.__dataclass_fields__)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scenario TEXT NOT NULL,
    system TEXT NOT NULL,
    target TEXT NOT NULL,
    backend TEXT,
    git_sha TEXT,
    seed INTEGER,
    scale REAL NOT NULL,
    started_at TEXT NOT NULL,
    partial INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    error_rate REAL,
    throughput_per_s REAL,
    p50_ms REAL,
    p95_ms REAL,
    p99_ms REAL,
    max_ms REAL,
    thresholds_passed INTEGER,
    recovery_s REAL,
    recorded_at TEXT NOT NULL,
    result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs (scenario, started_at);
CREATE INDEX IF NOT EXISTS runs_kind ON runs (kind, started_at);
CREATE INDEX IF NOT EXISTS runs_target ON runs (target);
CREATE INDEX IF NOT EXISTS runs_git ON runs (git_sha);
CREATE TABLE IF NOT EXISTS baselines (
    scenario TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    set_at TEXT NOT NULL,
    PRIMARY KEY (scenario, kind)
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
"""


class SqliteStore(HistoryStore):
    """History in one SQLite file; safe for several processes (WAL, busy timeout)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError as exc:  # locked, unreadable, disk I/O
            raise EnvironmentProblem(f"history store {self.path}: cannot open ({exc})") from None
        except sqlite3.DatabaseError as exc:  # a file that is not SQLite: what it was given
            raise InputError(
                f"history store {self.path}: not a SQLite history ({exc}); "
                "give --store a history file or a new path"
            ) from None
        except OSError as exc:
            raise EnvironmentProblem(f"history store {self.path}: {exc.strerror}") from None
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise InputError(
                f"history store {self.path}: schema version {row and row[0]!r} is not supported "
                f"(this scaling-lab reads {SCHEMA_VERSION})"
            )

    def close(self) -> None:
        self._db.close()

    def record(self, result: RunResult) -> RunRecord:
        rec = record_of(result)
        values: dict[str, Any] = rec.to_dict()
        values["result_json"] = dump_result(result)
        cols = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        try:
            with self._db:
                self._db.execute(f"INSERT OR REPLACE INTO runs ({cols}) VALUES ({marks})", values)
        except sqlite3.DatabaseError as exc:
            raise EnvironmentProblem(f"history store {self.path}: cannot write ({exc})") from None
        return rec

    def runs(
        self, *, scenario: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[RunRecord]:
        where: list[str] = []
        args: list[Any] = []
        if scenario is not None:
            where.append("scenario = ?")
            args.append(scenario)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at DESC, recorded_at DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        rows = self._db.execute(sql, args).fetchall()
        return [RunRecord.from_dict(dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    def load(self, run_id: str) -> RunResult:
        row = self._db.execute(
            "SELECT result_json FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise InputError(f"run {run_id!r} is not in the history at {self.path}")
        return parse_stored(row[0], run_id, self.location)

    def set_baseline(self, run_id: str) -> Baseline:
        row = self._db.execute(
            "SELECT scenario, kind FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise InputError(f"run {run_id!r} is not in the history at {self.path}")
        b = Baseline(scenario=row[0], kind=row[1], run_id=run_id, set_at=now_iso())
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO baselines (scenario, kind, run_id, set_at) "
                "VALUES (?, ?, ?, ?)",
                (b.scenario, b.kind, b.run_id, b.set_at),
            )
        return b

    def baselines(self) -> list[Baseline]:
        rows = self._db.execute(
            "SELECT scenario, kind, run_id, set_at FROM baselines ORDER BY scenario, kind"
        ).fetchall()
        return [Baseline(scenario=r[0], kind=r[1], run_id=r[2], set_at=r[3]) for r in rows]
