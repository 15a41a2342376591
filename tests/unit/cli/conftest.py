"""Results the CLI tests read, made once per session (a prediction of smoke takes 0.3 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_lab.model import predict
from scaling_lab.result import ResultKind, save_result
from scaling_lab.scenario.loader import load_scenario
from scaling_lab.system import load_system


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """An observed result (a prediction relabelled: calibrate only reads its seconds) and two
    predictions."""
    folder = tmp_path_factory.mktemp("results")
    predicted = predict(load_scenario("smoke"), load_system("staging"), seed=1)
    other = predict(load_scenario("smoke"), load_system("staging"), seed=2)
    observed = predicted.model_copy(update={"kind": ResultKind.OBSERVED})
    return (
        save_result(observed, folder / "observed.json"),
        save_result(predicted, folder / "predicted.json"),
        save_result(other, folder / "other.json"),
    )
