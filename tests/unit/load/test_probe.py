"""The probe's search and its cache, with a fake measurement (no processes, no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from scaling_lab.errors import EnvironmentProblem, InputError
from scaling_lab.load import probe as probe_mod
from scaling_lab.load.probe import (
    HEADROOM,
    PROBE_ENV,
    ProbeResult,
    StepResult,
    auto_budget,
    cache_path,
    search,
    sustainable_rate,
)
from scaling_lab.load.scale import resolve_scale

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def step(rate: float, p95: float | None = 10.0, errors: int = 0, dropped: int = 0) -> StepResult:
    return StepResult(
        rate, requests=int(rate * 5), p95_ms=p95, errors=errors, dropped_iterations=dropped
    )


def machine(limit: float):
    """A fake machine: fine up to ``limit`` req/s, slow above; records what was measured."""
    seen: list[float] = []

    def measure(rate: float) -> StepResult:
        seen.append(rate)
        return step(rate, p95=20.0 if rate <= limit else 250.0)

    return measure, seen


def test_search_returns_the_highest_passing_rate_and_stops_at_the_first_failure():
    measure, seen = machine(limit=350)
    best, steps = search([100, 200, 300, 400, 500, 600], measure)
    assert best == 300
    assert seen == [100, 200, 300, 400]  # 500 and 600 never sent
    assert [s.ok for s in steps] == [True, True, True, False]


def test_search_measures_in_increasing_order():
    measure, seen = machine(limit=1000)
    best, _ = search([300, 100, 200, 100], measure)
    assert seen == [100, 200, 300]
    assert best == 300


def test_search_is_zero_when_the_lowest_step_fails():
    measure, seen = machine(limit=10)
    assert search([100, 200], measure)[0] == 0
    assert seen == [100]


@pytest.mark.parametrize(
    "bad",
    [
        step(100, p95=100.0),  # the limit is strict: p95 < 100 ms
        step(100, p95=None),
        step(100, errors=1),
        step(100, dropped=3),
        StepResult(100, requests=0, p95_ms=None, errors=0, dropped_iterations=0),
    ],
)
def test_a_step_fails_on_latency_errors_drops_or_no_responses(bad):
    assert not bad.ok
    best, steps = search([100, 200], lambda rate: bad)
    assert best == 0 and len(steps) == 1


def test_search_reports_each_step():
    measure, _ = machine(limit=150)
    reported: list[float] = []
    search([100, 200], measure, on_step=lambda s: reported.append(s.rate_per_s))
    assert reported == [100, 200]


def test_search_rejects_non_positive_rates():
    with pytest.raises(InputError, match="probe rates"):
        search([0, 100], lambda rate: step(rate))


def test_budget_is_half_the_sustained_rate_and_sizes_auto_scale():
    assert HEADROOM == 0.5
    assert auto_budget(400) == 200
    assert resolve_scale("auto", 10000, auto_budget(400)) == pytest.approx(0.02)
    assert resolve_scale("auto", 3000, auto_budget(400)) == pytest.approx(0.066)


# -- cache -------------------------------------------------------------------------------------


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(PROBE_ENV, raising=False)
    return tmp_path


class FakeProbe:
    def __init__(self, rate: float = 400.0) -> None:
        self.rate = rate
        self.calls = 0

    def __call__(self, **_: object) -> ProbeResult:
        self.calls += 1
        return ProbeResult(self.rate, (step(self.rate),), measured_at=NOW.isoformat())


def test_cache_lives_in_the_user_cache_dir(cache_home):
    assert cache_path() == cache_home / "scaling-lab" / "probe.json"


def test_a_probe_is_cached_and_reused_within_a_day(cache_home):
    fake = FakeProbe(400)
    first = sustainable_rate(probe=fake, now=NOW)
    assert (first.sustainable_rate_per_s, first.source, fake.calls) == (400, "probe", 1)
    data = json.loads(cache_path().read_text())
    assert set(data["key"]) == {"host", "cpus", "version"}
    again = sustainable_rate(probe=fake, now=NOW + timedelta(hours=23))
    assert (again.sustainable_rate_per_s, again.source, fake.calls) == (400, "cache", 1)
    assert again.steps == first.steps


def test_a_stale_cache_probes_again(cache_home):
    fake = FakeProbe(400)
    sustainable_rate(probe=fake, now=NOW)
    fake.rate = 300
    later = sustainable_rate(probe=fake, now=NOW + timedelta(hours=25))
    assert (later.sustainable_rate_per_s, later.source, fake.calls) == (300, "probe", 2)


def test_another_machine_or_version_probes_again(cache_home, monkeypatch):
    fake = FakeProbe(400)
    sustainable_rate(probe=fake, now=NOW)
    monkeypatch.setattr(probe_mod.socket, "gethostname", lambda: "another-host")
    sustainable_rate(probe=fake, now=NOW)
    assert fake.calls == 2


def test_refresh_forces_a_probe(cache_home, monkeypatch):
    fake = FakeProbe(400)
    sustainable_rate(probe=fake, now=NOW)
    monkeypatch.setenv(PROBE_ENV, "refresh")
    fake.rate = 500
    assert sustainable_rate(probe=fake, now=NOW).sustainable_rate_per_s == 500
    assert fake.calls == 2
    monkeypatch.delenv(PROBE_ENV)
    assert sustainable_rate(probe=fake, now=NOW).sustainable_rate_per_s == 500  # saved


def test_a_number_skips_the_probe(cache_home, monkeypatch):
    monkeypatch.setenv(PROBE_ENV, "250")
    fake = FakeProbe()
    got = sustainable_rate(probe=fake, now=NOW)
    assert (got.sustainable_rate_per_s, got.source, fake.calls) == (250, "env", 0)
    assert not cache_path().exists()


@pytest.mark.parametrize("bad", ["fast", "0", "-5"])
def test_a_bad_setting_is_input_error(cache_home, monkeypatch, bad):
    monkeypatch.setenv(PROBE_ENV, bad)
    with pytest.raises(InputError, match=PROBE_ENV):
        sustainable_rate(probe=FakeProbe(), now=NOW)


@pytest.mark.parametrize("content", ["not json", "{}", '{"key": 1}', "[]"])
def test_an_unreadable_cache_probes_again(cache_home, content):
    cache_path().parent.mkdir(parents=True)
    cache_path().write_text(content)
    fake = FakeProbe(400)
    assert sustainable_rate(probe=fake, now=NOW).source == "probe"
    assert fake.calls == 1


def test_a_machine_that_sustains_nothing_is_an_environment_problem(cache_home):
    fake = FakeProbe(0)
    with pytest.raises(EnvironmentProblem, match=PROBE_ENV):
        sustainable_rate(probe=fake, now=NOW)
    assert not cache_path().exists()  # never cached: the next run probes again


# -- verify/run: where the budget of --scale auto comes from ----------------------------------


def test_the_budget_setting_overrides_the_probe(cache_home, monkeypatch):
    from scaling_lab.load.scale import local_budget

    monkeypatch.setenv("SCALING_LAB_LOCAL_BUDGET", "150")
    monkeypatch.setenv(PROBE_ENV, "not looked at")
    assert local_budget("auto", "local", "embedded") == 150


def test_auto_budget_is_headroom_times_the_sustained_rate(cache_home, monkeypatch):
    from scaling_lab.load.scale import local_budget

    monkeypatch.delenv("SCALING_LAB_LOCAL_BUDGET", raising=False)
    monkeypatch.setenv(PROBE_ENV, "400")
    assert local_budget("auto", "local", "embedded") == 200


def test_no_budget_is_needed_for_a_number_or_a_remote_target(cache_home, monkeypatch):
    from scaling_lab.load.scale import local_budget

    monkeypatch.setenv("SCALING_LAB_LOCAL_BUDGET", "nonsense")
    monkeypatch.setenv(PROBE_ENV, "nonsense")  # would raise if read
    assert local_budget("0.5", "local", "embedded") == 0
    assert local_budget("auto", "https://staging.example", "embedded") == 0


@pytest.mark.parametrize("bad", ["lots", "0", "-1"])
def test_a_bad_budget_setting_is_input_error(cache_home, monkeypatch, bad):
    from scaling_lab.load.scale import local_budget

    monkeypatch.setenv("SCALING_LAB_LOCAL_BUDGET", bad)
    with pytest.raises(InputError, match="SCALING_LAB_LOCAL_BUDGET"):
        local_budget("auto", "local", "embedded")
