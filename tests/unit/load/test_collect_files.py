"""``collect`` on files that are not k6 CSV samples: exit 2 and one line naming the file, and
no result written (it wrote an observed result of 0 requests, or gave exit 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "k6"
SAMPLE = (FIXTURES / "sample.csv.gz").read_bytes()
HEADER = "metric_name,timestamp,metric_value,error_code,scenario,status,extra_tags,metadata\n"
START = "scaling_lab_start_ms,1795796089146,1795796089146.000000,,,,,\n"

BAD: dict[str, tuple[bytes, str]] = {
    "no-status.csv": (b"metric_name,timestamp,metric_value\n", "header has no 'status'"),
    "not-gzip.csv.gz": (b"plain text\n", "Not a gzipped file"),
    "bad-time.csv": (
        (HEADER + START + "http_req_duration,abc,12.5,,post_events,202,,\n").encode(),
        "could not convert string to float: 'abc'",
    ),
    "empty.csv": (b"", "no k6 samples of this scenario's endpoints in"),
    "binary.csv": (bytes(range(256)) * 4, "no k6 samples of this scenario's endpoints in"),
    "k6-log.csv": (b'time="..." level=info msg="hello"\n', "no k6 samples"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_file_that_is_not_k6_samples_is_exit_2_naming_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, why = BAD[name]
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "runs"
    assert main(["collect", str(FIXTURES / "sample.yaml"), str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and why in err, err
    assert not out.exists() or not list(out.iterdir())


def test_one_bad_file_among_good_ones_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "runner-1.csv.gz"
    good.write_bytes(SAMPLE)
    bad = tmp_path / "runner-2.csv"
    bad.write_text("", encoding="utf-8")
    out = tmp_path / "runs"
    argv = ["collect", str(FIXTURES / "sample.yaml"), str(good), str(bad), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and str(good) not in err
    assert main([*argv[:3], "--out", str(out)]) in (0, 99)  # the good one alone
