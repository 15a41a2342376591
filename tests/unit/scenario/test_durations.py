import pytest

from scaling_lab.scenario.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("2m", 120),
        ("1m30s", 90),
        ("250ms", 0.25),
        ("1h", 3600),
        ("0s", 0),
        (" 2m ", 120),
        ("1.5s", 1.5),
        (45, 45),
        ("45", 45),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "ten seconds", "1x", "s", "-1s", "1m 30s", "m1", True, -3])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(90, "1m30s"), (0, "0s"), (3600, "1h"), (0.25, "250ms")]
)
def test_format_round_trips(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)
