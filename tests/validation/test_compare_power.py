"""compare's interval mode, measured on the model alone (tests/validation/compare_power.py):
an observation of the true configuration passes at the stated rate, and each of four
mis-specified predictions is caught in at least 90 % of trials, at the shipped settings
(10 replications, family-wise 95 %, the default model-error allowances). Rates are in
docs/validation.md."""

from __future__ import annotations

import pytest
from compare_power import Case, cases, rates

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name.split(" (")[0])
def test_right_model_passes_and_wrong_model_is_caught(case: Case) -> None:
    passed, caught = rates(case)
    # 20 trials: at a true pass rate of 95 %, 17 or fewer passes happen 7.5 % of the time
    assert passed >= 0.9, passed
    assert caught >= 0.9, caught
