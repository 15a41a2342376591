"""Shared helpers of the emulator integration tests."""

import shutil

import pytest


def require_node() -> None:
    """Skip with the reason when the embedded backend cannot run here."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("the embedded backend needs Node.js >= 20 and npm (see .ci/setup.sh)")


EVENT = {
    "event_type": "order.created",
    "timestamp": "2026-01-01T00:00:00Z",
    "payload": {"order_id": "o-1"},
}
