"""Executor specs: a bad ``--executor`` (or plan file ``executor:``) is exit 2 and one line
naming it, before any process is started or any trial runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import scaling_lab.plan.executor as executor_module
from scaling_lab.cli.main import main
from scaling_lab.plan.executor import check_executor, max_local_workers

SMOKE = Path(__file__).resolve().parents[3] / "scenarios" / "smoke.yaml"


@pytest.fixture
def no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(executor_module, "ProcessPoolExecutor", refuse)


def test_local_n_is_bounded_by_the_cores() -> None:
    cap = max_local_workers()
    assert check_executor(f"local:{cap}") is None
    assert check_executor("local:1") is None
    for n in (str(cap + 1), "100000", "9" * 5000):
        problem = check_executor(f"local:{n}")
        assert problem is not None and f"at most {cap} processes" in problem
    for bad in ("local:0", "local:000", "local:-1", "local:abc", "local:²", "local:"):
        assert check_executor(bad) == "expected local:N with N >= 1", bad


def _plan_argv(tmp_path: Path) -> list[str]:
    argv = ["plan", str(SMOKE), "--range", "lambda.reserved_concurrency=10:30:10"]
    return [*argv, "--seeds", "1", "--out", str(tmp_path / "plan")]


def test_a_huge_local_n_is_exit_2_without_forking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pool: None
) -> None:
    assert main([*_plan_argv(tmp_path), "--executor", "local:100000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --executor 'local:100000': local:N is at most"), err
    assert len(err.splitlines()) == 1


def test_a_plan_file_with_a_huge_local_n_is_exit_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pool: None
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"executor": "local:99999"}), encoding="utf-8")
    assert main([*_plan_argv(tmp_path), "--plan", str(plan)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "executor" in err and "at most" in err, err
    assert str(plan) in err


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("dask://a:b", "port 'b' is not 1..65535"),
        ("dask://:", "host '' is not"),
        ("dask://[::1", "host '[:' is not"),
        ("dask://127.0.0.1:1:2", "host '127.0.0.1:1' is not"),
        ("dask://127.0.0.1:99999", "port '99999' is not 1..65535"),
        ("dask://127.0.0.1:0", "port '0' is not"),
        ("dask://a b:1", "host 'a b' is not"),
        ("dask://host", "expected dask://HOST:PORT"),
    ],
)
def test_a_bad_dask_address_is_named_before_any_connection(spec: str, why: str) -> None:
    problem = check_executor(spec)
    assert problem is not None and why in problem, problem


@pytest.mark.parametrize("spec", ["dask://127.0.0.1:8786", "dask://[::1]:8786", "dask://s.x:1"])
def test_good_dask_addresses_pass(spec: str) -> None:
    assert check_executor(spec) is None


def test_a_bad_dask_address_is_exit_2_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_plan_argv(tmp_path), "--executor", "dask://a:b"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == "error: --executor 'dask://a:b': expected dask://HOST:PORT; port 'b' is not 1..65535"
    )
