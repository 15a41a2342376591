"""Three k6 runners (execution segments) against the local stack, merged into one result.

The merged percentiles must be those of the union of every runner's samples, which per-runner
summaries (what k6-operator users get) cannot give.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest

from scaling_lab.cli.main import main
from scaling_lab.load import run_load
from scaling_lab.load.segments import collect_result, segment_args
from scaling_lab.result import load_result
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "k6"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def samples(path: Path) -> list[float]:
    """http_req_duration of the measured requests (not setup) in one runner's sample file."""
    out = []
    with gzip.open(path, "rt") as f:
        for line in f:
            parts = line.rstrip("\n").split(",")
            if parts[0] == "http_req_duration" and "post_events" in parts:
                out.append(float(parts[2]))
    return out


def nearest_rank(values: list[float], q: float) -> float:
    """The value of rank floor(q/100 x n + 1/2) (at least 1), HdrHistogram's definition."""
    ordered = sorted(values)
    return ordered[max(1, math.floor(q / 100 * len(ordered) + 0.5)) - 1]


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    run = run_load(
        sc,
        load_system("staging"),
        target="local",
        scale=0.3,
        out_dir=out,
        live=False,
        runners=3,
        keep_samples=True,
    )
    return run


def test_each_runner_got_its_segment(three):
    files = sorted(three.artifacts.glob("runner-*/samples.csv.gz"))
    assert len(files) == 3
    counts = [len(samples(f)) for f in files]
    # about a third of 240 each (k6 stripes an arrival-rate executor's iterations over the
    # segments; the last stripe of a short run may get a few less)
    assert all(60 <= c <= 95 for c in counts), counts
    log = (three.artifacts / "runner-1" / "k6.log").read_text()
    assert "level=error" not in log


def test_one_result_with_every_request(three):
    s = three.result.summary
    files = sorted(three.artifacts.glob("runner-*/samples.csv.gz"))
    union = [ms for f in files for ms in samples(f)]
    assert s.requests == len(union)
    # 30 req/s x 8 s: one k6 process sends 235-245 here (test_run_local); three segments
    # stripe the same iterations, so the same count within k6's rounding
    assert 235 <= s.requests <= 245
    assert s.errors.total == 0
    assert three.result.provenance.mode == "k6, 3 runners (execution segments)"
    assert any(n.startswith("audit ok") for n in three.result.provenance.notes)


def test_merged_percentiles_are_those_of_the_union_of_samples(three):
    files = sorted(three.artifacts.glob("runner-*/samples.csv.gz"))
    union = [ms for f in files for ms in samples(f)]
    got = three.result.summary.endpoints["post_events"].latency_ms
    # HDR keeps 3 significant digits: equal to the union's nearest-rank percentile within 0.1 %
    assert got.p95 == pytest.approx(nearest_rank(union, 95), rel=1e-3)
    assert got.p99 == pytest.approx(nearest_rank(union, 99), rel=1e-3)
    assert got.max == pytest.approx(max(union), rel=1e-3)
    assert three.result.summary.thresholds_passed is True  # judged on the merge
    assert three.result.summary.thresholds[0].observed == got.p95


def test_collect_folds_the_kept_samples_into_the_same_result(three, tmp_path):
    files = sorted(three.artifacts.glob("runner-*/samples.csv.gz"))
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    again = collect_result(sc, load_system("staging"), files, target="local", scale=0.3)
    live = three.result.summary
    assert again.summary.requests == live.requests
    assert (
        again.summary.endpoints["post_events"].latency_ms
        == live.endpoints["post_events"].latency_ms
    )
    assert [x.completed for x in again.series] == [x.completed for x in three.result.series]
    code = main(
        [
            "collect",
            str(FIXTURES / "smoke-short.yaml"),
            *map(str, files),
            "--scale",
            "0.3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    (saved,) = tmp_path.glob("*.json")
    assert load_result(saved).summary.requests == live.requests


def test_segment_options():
    assert segment_args(0, 1) == []
    assert segment_args(1, 3) == [
        "--execution-segment",
        "1/3:2/3",
        "--execution-segment-sequence",
        "0,1/3,2/3,1",
    ]


FAKE_SSH = """#!/bin/sh
# stand-in for ssh: skips options, records the host and command, runs the command here
while [ "${1#-}" != "$1" ]; do shift 2; done
echo "$@" >> "$FAKE_SSH_LOG"
shift
exec sh -c "$*"
"""


def test_runners_on_ssh_hosts_merge_into_one_result(tmp_path, monkeypatch):
    """Two "hosts" through a stand-in ssh (the same code path as real SSH): the key travels on
    stdin, never a command line; samples come back on stdout and merge into one result."""
    from scaling_lab.load.k6bin import find_k6
    from tests.fixtures.k6.fake_api import running, stats_of

    ssh = tmp_path / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    log = tmp_path / "ssh.log"
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    with running({"FAKE_API_KEY": "slk_remote_secret"}) as url:
        run = run_load(
            sc,
            load_system("staging"),
            target=url,
            api_key="slk_remote_secret",
            scale=0.3,
            out_dir=tmp_path / "runs",
            live=False,
            runner_hosts=["alpha", "beta"],
            ssh_command=[str(ssh)],
            remote_k6=find_k6().path,
        )
        served = stats_of(url)["post_events"]
    s = run.result.summary
    assert s.requests == served and 235 <= s.requests <= 245
    assert s.errors.total == 0  # every request carried the key
    lines = log.read_text().splitlines()
    assert sorted(line.split()[0] for line in lines) == ["alpha", "beta"]
    assert all("--execution-segment" in line for line in lines)
    assert "slk_remote_secret" not in log.read_text()
    assert run.result.provenance.mode == "k6, 2 runners (execution segments) on alpha, beta"


def test_ssh_runners_need_a_url_target(tmp_path):
    from scaling_lab.errors import InputError

    sc = load_scenario(FIXTURES / "smoke-short.yaml")
    with pytest.raises(InputError, match="cannot reach the local stack"):
        run_load(
            sc,
            load_system("staging"),
            target="local",
            out_dir=tmp_path,
            live=False,
            runner_hosts=["alpha"],
        )
