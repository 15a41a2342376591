"""Predicted and observed results name every throttle cause with the rulebook's one enum."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from emulator.governor.metrics import SecondCounters
from scaling_lab.aws import ThrottleCause
from scaling_lab.model import predict
from scaling_lab.observe.local import _causes
from scaling_lab.result.models import Summary
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system


def _summary(causes: dict[str, int]) -> Summary:
    return Summary.model_validate(
        {
            "requests": 1,
            "errors": {},
            "error_rate": 0.0,
            "throughput_per_s": 1.0,
            "latency_ms": {},
            "throttles_by_cause": causes,
        }
    )


def test_observed_causes_are_the_predicted_names() -> None:
    counters = SecondCounters()
    for cause in ThrottleCause:
        counters.throttle(0.0, cause)
    observed = _causes(dict(counters.throttles_by_cause))
    sc = load_scenario("smoke").model_copy(update={"scale": 0.01})
    predicted = predict(sc, load_system("staging"), seed=1).summary.throttles_by_cause
    assert predicted is not None
    assert set(observed) == set(predicted) == set(ThrottleCause)


def test_an_unknown_cause_is_refused_and_the_old_observed_name_is_read() -> None:
    assert _summary({"lambda_rps": 3}).throttles_by_cause == {ThrottleCause.LAMBDA_REQUEST_RATE: 3}
    with pytest.raises(ValidationError):
        _summary({"lambda_burst": 1})
