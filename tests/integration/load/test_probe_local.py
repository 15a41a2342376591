"""The probe against the real local stack, at rates any machine sustains (loopback only)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from scaling_lab.load.probe import probe_sustainable_rate

pytestmark = pytest.mark.integration


def test_probe_finds_a_positive_sustainable_rate_on_the_local_stack():
    buf = io.StringIO()
    result = probe_sustainable_rate(rates=(20, 40), step_s=3, console=Console(file=buf))
    assert result.sustainable_rate_per_s in (20, 40)
    assert result.steps[0].ok, result.steps
    assert result.steps[0].requests >= 50  # ~60 requests in 3 s at 20 req/s
    assert "probing what this machine sustains: 20 req/s ... ok" in buf.getvalue()
