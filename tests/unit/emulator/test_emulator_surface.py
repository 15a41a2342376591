"""The public surface of emulator.app and emulator.stack is what __all__ says."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["emulator.app", "emulator.stack"])
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_stack_surface_that_other_packages_use() -> None:
    import emulator.stack as stack

    assert {"start_local_stack", "Stack", "AuditReport", "Endpoints", "Backend"} <= set(
        stack.__all__
    )
    import inspect

    params = inspect.signature(stack.Stack).parameters
    assert {"backend", "tenants", "port", "system", "extensions", "api_env"} <= set(params)
