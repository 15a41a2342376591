from __future__ import annotations

import pytest
from load_helpers import FIXTURES, ROOT

from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system


@pytest.fixture
def sample_scenario():
    return load_scenario(FIXTURES / "sample.yaml")


@pytest.fixture
def staging():
    return load_system(ROOT / "scenarios" / "systems" / "staging.yaml")
