"""The public surface is what __all__ says; names in __all__ exist."""

import importlib

import pytest

MODULES = [
    "scaling_lab",
    "scaling_lab.scenario",
    "scaling_lab.system",
    "scaling_lab.result",
    "scaling_lab.errors",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    assert module.__all__, name
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_top_level_surface():
    import scaling_lab

    assert set(scaling_lab.__all__) >= {
        "Scenario",
        "SystemConfig",
        "RunResult",
        "load_scenario",
        "load_system",
        "load_result",
        "ScalingLabError",
    }
