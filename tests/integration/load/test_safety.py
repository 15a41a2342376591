"""Nothing is sent without consent: dry runs, non-loopback targets, production hosts."""

from __future__ import annotations

import pytest

from scaling_lab.cli.main import main

pytestmark = pytest.mark.integration


@pytest.fixture
def k6_spy(tmp_path, monkeypatch):
    """A stand-in k6 that records every invocation; a real run would have to call it."""
    marker = tmp_path / "k6-was-called"
    spy = tmp_path / "k6"
    spy.write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\necho 'k6 v1.1.0 (spy)'\n")
    spy.chmod(0o755)
    monkeypatch.setenv("SCALING_LAB_K6", str(spy))
    monkeypatch.setenv("SCALING_LAB_API_KEY", "slk_test_only")
    return marker


def test_dry_run_against_a_remote_host_sends_nothing(k6_spy, tmp_path, capsys):
    code = main(
        [
            "run",
            "spike",
            "--target",
            "https://staging.example.com",
            "--dry-run",
            "--out",
            str(tmp_path / "runs"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "ramping-arrival-rate" in captured.out  # the rendered script
    assert "10,000.0 req/s" in captured.err  # the plan
    assert "slk_test_only" not in captured.out + captured.err
    assert not k6_spy.exists()
    assert not (tmp_path / "runs").exists()


def test_remote_target_without_yes_is_refused(k6_spy, capsys):
    assert main(["run", "smoke", "--target", "https://staging.example.com"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert not k6_spy.exists()


def test_production_host_is_refused(k6_spy, capsys):
    code = main(["run", "smoke", "--target", "https://api.prod.example.com", "--yes"])
    assert code == 2
    assert "looks like production" in capsys.readouterr().err
    assert not k6_spy.exists()


def test_max_rate_refuses_the_plan(k6_spy, capsys):
    assert main(["run", "spike", "--target", "local", "--max-rate", "100"]) == 2
    assert "--max-rate" in capsys.readouterr().err
    assert not k6_spy.exists()


def test_k6_failing_before_any_load_is_an_environment_problem(tmp_path, monkeypatch, capsys):
    """k6 exits (bad script, bad option) without opening the sample pipe: exit 3, no hang."""
    fake = tmp_path / "k6"
    fake.write_text(
        "#!/bin/sh\n"
        "if [ \"$1\" = version ]; then echo 'k6 v1.1.0 (fake)'; exit 0; fi\n"
        'echo \'time="x" level=error msg="GoError: something broke" hint="script exception"\' >&2\n'
        "exit 107\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("SCALING_LAB_K6", str(fake))
    code = main(
        [
            "run",
            "smoke",
            "--target",
            "http://127.0.0.1:9",
            "--api-key",
            "k",
            "--out",
            str(tmp_path / "runs"),
            "--no-live",
            "--no-preflight",  # the closed port would stop the run before k6 starts
        ]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert "k6 exited with code 107" in err and "something broke" in err
    assert not list((tmp_path / "runs").glob("*.json"))  # no empty result pretending to be a run
