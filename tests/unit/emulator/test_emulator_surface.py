"""The surface of emulator.stack that other packages use."""

from __future__ import annotations


def test_stack_surface_that_other_packages_use() -> None:
    import emulator.stack as stack

    assert {"start_local_stack", "Stack", "AuditReport", "Endpoints", "Backend"} <= set(
        stack.__all__
    )
    import inspect

    params = inspect.signature(stack.Stack).parameters
    assert {"backend", "tenants", "port", "system", "extensions", "api_env"} <= set(params)
