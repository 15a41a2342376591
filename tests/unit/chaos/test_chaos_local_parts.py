"""The local target's parts that need no stack: stop conditions fed second by second as the
series streams (the same verdict as judging the whole series), and the journal of a local run."""

from __future__ import annotations

from pathlib import Path

from scaling_lab.chaos.hypothesis import StopWatch, abort_second
from scaling_lab.chaos.loader import load_experiment
from scaling_lab.result.models import EndpointSecond, ErrorCounts, SecondSample

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "chaos"


def _second(t: int, requests: int, errors: int) -> SecondSample:
    errs = ErrorCounts(server=errors)
    return SecondSample(
        t_s=t,
        completed=requests,
        errors=errs,
        endpoints={"post_events": EndpointSecond(requests=requests, errors=errs)},
    )


def test_the_stop_condition_trips_at_the_end_of_its_consecutive_seconds() -> None:
    """local-abort: error rate >= 0.5 for 2 s. Seconds 0-2 fine, 3 bad, 4 fine, 5-6 bad:
    the run of 2 ends in second 6, so the abort is at 7 s (one bad second is not enough)."""
    exp = load_experiment(FIX / "local-abort.yaml").experiment
    errors = [0, 0, 0, 37, 0, 37, 37, 37]
    series = [_second(t, 37, e) for t, e in enumerate(errors)]
    watch = StopWatch(exp)
    fed = [watch.feed(s) for s in series]
    assert fed[:6] == [None] * 6
    assert fed[6] == (7.0, 0) and fed[7] == (7.0, 0)  # stays tripped
    assert watch.observed == 1.0
    assert abort_second(exp, series) == (7.0, 0)


def test_a_second_without_responses_neither_breaks_nor_holds_the_run() -> None:
    """rate over no responses is unobservable: it does not count as breaking the bound."""
    exp = load_experiment(FIX / "local-abort.yaml").experiment
    series = [_second(0, 37, 37), _second(1, 0, 0), _second(2, 37, 37)]
    assert abort_second(exp, series) == (None, None)
