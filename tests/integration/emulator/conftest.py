"""One embedded stack per module (real processes on loopback); skipped without Node.js."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stack_helpers import require_node

from emulator.stack import Stack, start_local_stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    require_node()
    with start_local_stack(backend="embedded", tenants=4) as s:
        yield s
