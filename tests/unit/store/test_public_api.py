"""The store's, report's and cost's public surfaces are what ``__all__`` says."""

import importlib

import pytest


@pytest.mark.parametrize("module", ["scaling_lab.store", "scaling_lab.report", "scaling_lab.cost"])
def test_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__ == sorted(mod.__all__, key=lambda n: (not n.isupper(), n))
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_record_result_is_the_one_call_for_commands() -> None:
    import inspect

    from scaling_lab.store import record_result

    assert list(inspect.signature(record_result).parameters) == ["result", "path"]
