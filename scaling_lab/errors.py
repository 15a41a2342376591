"""The one exception tree of scaling-lab and the CLI's exit codes (``chaos run`` exits 98 when
an experiment's steady-state hypothesis does not hold: a result, like 99).

    ScalingLabError                  base; every library error is one of these
    ├── InputError                   bad scenario/system/result file or option (exit 2)
    │   └── ValidationFailed         a file failed validation; carries every problem found
    ├── EnvironmentProblem           a binary, port, backend or service is missing (exit 3)
    ├── ThresholdsFailed             a run finished and its gate failed (exit 99, k6's code)
    └── Interrupted                  the user stopped a run (exit 130)

Library code raises these and never calls ``sys.exit``; ``scaling_lab.cli`` maps them to
exit codes with :func:`exit_code_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "EnvironmentProblem",
    "ExitCode",
    "InputError",
    "Interrupted",
    "Problem",
    "ScalingLabError",
    "ThresholdsFailed",
    "ValidationFailed",
    "exit_code_for",
]


class ExitCode(IntEnum):
    """Process exit codes, documented in README.md and docs/cli.md."""

    OK = 0
    INTERNAL = 1
    INVALID_INPUT = 2
    ENVIRONMENT = 3
    HYPOTHESIS_DEVIATED = 98  # chaos run: the steady state did not hold, or it was aborted
    THRESHOLDS_FAILED = 99  # same as k6 (errext/exitcodes: ThresholdsHaveFailed)
    INTERRUPTED = 130


class ScalingLabError(Exception):
    """Base of every error scaling-lab raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL


class InputError(ScalingLabError):
    """A file, option or request that cannot be used as given."""

    exit_code = ExitCode.INVALID_INPUT


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is and what was expected."""

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        return f"{where}: {self.message}"


class ValidationFailed(InputError):
    """A file failed validation. ``problems`` lists all of them, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class EnvironmentProblem(ScalingLabError):
    """Something the run needs is not there: a binary, a free port, a backend, Docker."""

    exit_code = ExitCode.ENVIRONMENT


class ThresholdsFailed(ScalingLabError):
    """The run finished but its thresholds or gate failed; a result, not a crash."""

    exit_code = ExitCode.THRESHOLDS_FAILED


class Interrupted(ScalingLabError):
    """The user interrupted the run (Ctrl-C); partial results may have been written."""

    exit_code = ExitCode.INTERRUPTED


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to the CLI exit code."""
    if isinstance(error, ScalingLabError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL
