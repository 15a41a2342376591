"""Degenerate input is refused, exit 2 naming the option, not taken to mean something else:
an empty --set value (a lost shell variable) is not null, --limit 0 or -1 is not 'everything',
an empty Lambda function name or a path as a Kubernetes namespace is not a name."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.cli.main import main

URL = "https://api.example.test"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["predict", "smoke", "--set", "lambda.reserved_concurrency="],
            "error: --set 'lambda.reserved_concurrency=': no value after '='; write "
            "lambda.reserved_concurrency=null to unset it",
        ),
        (["history", "--limit", "0"], "'--limit'"),
        (["history", "--limit", "-1"], "'--limit'"),
        (
            ["alarms", "smoke", "--function-name", ""],
            "error: --function-name '': expected a Lambda function name",
        ),
        (["observe", "x.json", "--function-name", "a b"], "error: --function-name 'a b'"),
        (
            ["k6-operator", "smoke", "--target", URL, "--namespace", "../../x"],
            "error: k6-operator: --namespace '../../x' is not a Kubernetes namespace name",
        ),
    ],
)
def test_degenerate_input_is_exit_2_naming_the_option(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["--out", str(tmp_path / "out")] if argv[0] in ("predict", "alarms") else []
    store = ["--store", str(tmp_path / "h.sqlite")] if argv[0] == "history" else []
    assert main([*argv, *out, *store]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err, captured.err
    assert not (tmp_path / "out").exists()


def test_null_still_unsets_a_field(tmp_path: Path) -> None:
    argv = ["predict", "smoke", "--set", "lambda.reserved_concurrency=null", "--json"]
    assert main([*argv, "--out", str(tmp_path)]) in (0, 99)
