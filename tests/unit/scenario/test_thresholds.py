"""The threshold grammar is k6's (metrics/thresholds_parser.go)."""

import pytest

from scaling_lab.scenario.thresholds import ThresholdSyntaxError, evaluate, parse_threshold


@pytest.mark.parametrize(
    ("text", "agg", "pct", "op", "value"),
    [
        ("p(95)<100", "p", 95, "<", 100),
        ("p(99.9) <= 300", "p", 99.9, "<=", 300),
        ("rate<0.001", "rate", None, "<", 0.001),
        ("max<5000", "max", None, "<", 5000),
        ("avg>=1", "avg", None, ">=", 1),
        ("med==2", "med", None, "==", 2),
        ("count===3", "count", None, "===", 3),
        ("min != 0", "min", None, "!=", 0),
        ("value>1e3", "value", None, ">", 1000),
    ],
)
def test_parse(text, agg, pct, op, value):
    th = parse_threshold(text)
    assert (th.aggregation, th.percentile, th.operator, th.value) == (agg, pct, op, value)


@pytest.mark.parametrize(
    "text", ["p95<100", "p(101)<1", "rate", "rate<", "<5", "p(95)=>100", "mean<3", "p(x)<3", ""]
)
def test_rejects_what_k6_rejects(text):
    with pytest.raises(ThresholdSyntaxError):
        parse_threshold(text)


def test_method_is_written_like_k6():
    assert parse_threshold("p(95)<100").method == "p(95)"
    assert parse_threshold("p(99.9)<100").method == "p(99.9)"
    assert parse_threshold("rate<0.01").method == "rate"


@pytest.mark.parametrize(
    ("text", "observed", "passes"),
    [
        ("p(95)<100", 99.9, True),
        ("p(95)<100", 100, False),
        ("p(95)<=100", 100, True),
        ("rate<0.001", 0.001, False),
        ("rate<0.001", 0.0, True),
        ("count>10", 11, True),
        ("max!=5", 5, False),
    ],
)
def test_evaluate(text, observed, passes):
    th = parse_threshold(text)
    assert evaluate(th, lambda agg, q: observed) is passes


def test_unobservable_is_none_not_a_pass():
    assert evaluate(parse_threshold("p(95)<100"), lambda agg, q: None) is None


def test_percentile_argument_reaches_the_aggregate():
    seen = []
    evaluate(parse_threshold("p(99)<1"), lambda agg, q: seen.append((agg, q)) or 0.5)
    assert seen == [("p", 99.0)]
