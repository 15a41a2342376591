"""A usage error (click's four-line block) is one line naming the option and where help is."""

from __future__ import annotations

import pytest

from scaling_lab.cli.main import main


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["predict", "smoke", "--scale", "5000"], "'--scale'"),
        (["predict", "smoke", "--no-such-option"], "--no-such-option"),
        (["no-such-command"], "'no-such-command'"),
        (["predict"], "'scenario'"),
        (["history", "--limit", "0"], "'--limit'"),
    ],
)
def test_a_usage_error_is_one_line_naming_it(argv, named, capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert named in lines[0] and "--help')" in lines[0]
    assert "Usage:" not in captured.err + captured.out
