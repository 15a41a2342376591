"""How large a run is: ``--scale`` (a factor, or ``auto`` = what this machine sustains)."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from scaling_lab.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["BUDGET_ENV", "local_budget", "resolve_scale"]

BUDGET_ENV = "SCALING_LAB_LOCAL_BUDGET"  # a peak rate in req/s; overrides the probe (tests, CI)


def local_budget(scale: str, target: str, backend: str, console: Console | None = None) -> float:
    """The peak rate ``--scale auto`` fits a local run into: $SCALING_LAB_LOCAL_BUDGET, else
    HEADROOM x what this machine sustains (scaling_lab.load.probe; probed once a day)."""
    if scale != "auto" or target != "local":
        return 0.0  # unused: an explicit scale, or a remote target run as written
    from scaling_lab.load.probe import auto_budget, positive_rate, sustainable_rate

    setting = os.environ.get(BUDGET_ENV)
    if setting:
        return positive_rate(BUDGET_ENV, setting, "a rate > 0 in req/s")
    return auto_budget(sustainable_rate(backend=backend, console=console).sustainable_rate_per_s)


def resolve_scale(scale: str, peak_rate_per_s: float, budget_per_s: float) -> float:
    """``--scale``: a number, or ``auto`` = the largest k (<= 1) whose peak fits the budget."""
    if scale == "auto":
        if peak_rate_per_s <= 0:
            return 1.0
        k = min(1.0, budget_per_s / peak_rate_per_s)
        if k >= 1:
            return 1.0
        # Round down to 2 significant digits so runs are comparable across machines.
        step = 10 ** (math.floor(math.log10(k)) - 1)
        return float(max(math.floor(k / step + 1e-9) * step, 1e-4))
    try:
        k = float(scale)
    except ValueError:
        raise InputError(f"--scale: expected a number or 'auto', got {scale!r}") from None
    if not 0 < k <= 1000:
        raise InputError(f"--scale: must be > 0 and <= 1000, got {scale}")
    return k
