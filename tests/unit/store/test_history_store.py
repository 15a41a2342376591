"""History store: SQLite (default) and S3 (moto's in-process mock), baselines, run lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.errors import InputError
from scaling_lab.result import ResultKind, save_result
from scaling_lab.store import (
    HistoryStore,
    default_store_location,
    open_store,
    record_result,
    resolve_result,
)
from scaling_lab.store.s3 import S3Store, parse_s3_url
from scaling_lab.store.sqlite import SqliteStore
from tests.unit.store.synth_runs import QUIET, synth_run


def _exercise(store: HistoryStore) -> None:
    a = synth_run(1, noise=QUIET, run_id="20261101T000000Z-steady-synth-observed-aaa111")
    b = synth_run(2, noise=QUIET, run_id="20261101T010000Z-steady-synth-observed-bbb222")
    p = synth_run(
        3,
        noise=QUIET,
        kind=ResultKind.PREDICTED,
        run_id="20261101T020000Z-steady-synth-predicted-ccc333",
    )
    for r in (a, b, p):
        rec = store.record(r)
        assert rec.run_id == r.run_id
    runs = store.runs()
    assert [r.run_id for r in runs] == [p.run_id, b.run_id, a.run_id]  # newest first
    assert [r.run_id for r in store.runs(kind="observed")] == [b.run_id, a.run_id]
    assert store.runs(scenario="other") == []
    assert len(store.runs(limit=1)) == 1
    rec = store.find("bbb222")
    assert rec.p95_ms == pytest.approx(b.summary.latency_ms.p95)
    assert rec.git_sha == "0" * 40 and rec.target == "local" and rec.kind == "observed"
    # latest means the latest observed run, unless asked for predictions or any kind
    assert store.find("latest").run_id == b.run_id
    assert store.find("latest:steady-synth").run_id == b.run_id
    assert store.find("latest:steady-synth:predicted").run_id == p.run_id
    assert store.find("latest::any").run_id == p.run_id
    with pytest.raises(InputError, match="kind 'nope'"):
        store.find("latest:steady-synth:nope")
    with pytest.raises(InputError, match=r"no observed run of scenario 'other'.*:any"):
        store.find("latest:other")
    with pytest.raises(InputError, match="ambiguous"):
        store.find("20261101T0")
    with pytest.raises(InputError, match="no such run"):
        store.find("zzz")
    loaded = store.load(a.run_id)
    assert loaded == a  # the full result round-trips
    # re-recording the same run replaces it
    store.record(a)
    assert len(store.runs()) == 3
    # baselines: one per scenario and kind
    assert store.baseline_for("steady-synth", "observed") is None
    store.set_baseline(a.run_id)
    store.set_baseline(p.run_id)
    store.set_baseline(b.run_id)
    bl = store.baselines()
    assert [(x.kind, x.run_id) for x in bl] == [("observed", b.run_id), ("predicted", p.run_id)]
    with pytest.raises(InputError):
        store.set_baseline("nope")


def test_sqlite_store(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "h.sqlite") as store:
        _exercise(store)
    # persisted: a new connection sees the same runs and baselines
    with open_store(tmp_path / "h.sqlite") as again:
        assert len(again.runs()) == 3
        assert len(again.baselines()) == 2


def test_sqlite_rejects_another_schema_version(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "h.sqlite"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(InputError, match="schema version"):
        SqliteStore(path)


def test_s3_store_against_moto() -> None:
    """S3 store against moto's in-process mock (no S3 endpoint needed)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="perf-history")
        store = S3Store("s3://perf-history/team/a", client=client)
        _exercise(store)
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="perf-history")["Contents"]]
        assert any(k.startswith("team/a/runs/") for k in keys)
        assert any(k.startswith("team/a/baselines/steady-synth--observed") for k in keys)


def test_s3_url_parsing() -> None:
    assert parse_s3_url("s3://b/x/y/") == ("b", "x/y")
    assert parse_s3_url("s3://b") == ("b", "")
    with pytest.raises(InputError):
        parse_s3_url("http://b")
    with pytest.raises(InputError):
        parse_s3_url("s3:///x")


def test_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALING_LAB_STORE", raising=False)
    monkeypatch.setenv("SCALING_LAB_HOME", str(tmp_path / "home"))
    assert default_store_location() == str(tmp_path / "home" / "history.sqlite")
    monkeypatch.delenv("SCALING_LAB_HOME")
    (tmp_path / "proj" / "scenarios").mkdir(parents=True)
    (tmp_path / "proj" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "proj" / "sub")
    assert default_store_location() == str(tmp_path / "proj" / ".scaling-lab" / "history.sqlite")
    monkeypatch.setenv("SCALING_LAB_STORE", "s3://bucket/p")
    assert default_store_location() == "s3://bucket/p"


def test_record_result_and_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALING_LAB_HOME", str(tmp_path))
    monkeypatch.delenv("SCALING_LAB_STORE", raising=False)
    monkeypatch.delenv("SCALING_LAB_NO_HISTORY", raising=False)
    r = synth_run(5, noise=QUIET)
    rec = record_result(r)
    assert rec is not None and (tmp_path / "history.sqlite").is_file()
    assert resolve_result(r.run_id).run_id == r.run_id  # from the default history
    file = save_result(r, tmp_path / "r.json")
    assert resolve_result(file).run_id == r.run_id  # from a file
    with pytest.raises(InputError):
        resolve_result(tmp_path / "missing.json")
    monkeypatch.setenv("SCALING_LAB_NO_HISTORY", "1")
    assert record_result(synth_run(6, noise=QUIET)) is None
    with open_store() as st:
        assert len(st.runs()) == 1


def test_a_stored_result_that_no_longer_fits_the_schema_is_a_clear_error(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "h.sqlite"
    with SqliteStore(path) as store:
        store.record(synth_run(8, noise=QUIET, run_id="old-run"))
    with sqlite3.connect(path) as db:
        db.execute(
            'UPDATE runs SET result_json = replace(result_json, \'"kind": "observed"\','
            " '\"kind\": \"measured\"') WHERE run_id = 'old-run'"
        )
    with SqliteStore(path) as store:
        assert store.find("old-run").kind == "observed"  # the index still lists it
        with pytest.raises(InputError, match="no longer fits the result schema"):
            store.load("old-run")
