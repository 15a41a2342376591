"""scaling-lab: predict, emulate and observe whether a serverless API survives a traffic spike.

One scenario file, three ways to run it (``predict`` with a SimPy model of the AWS scaling rules,
``run --target local`` on an emulated AWS, ``run --target URL`` against staging), one result
schema (:class:`RunResult`) and a comparison between them.
"""

from scaling_lab.errors import (
    EnvironmentProblem,
    ExitCode,
    InputError,
    ScalingLabError,
    ThresholdsFailed,
    ValidationFailed,
)
from scaling_lab.result import ResultBuilder, ResultKind, RunResult, load_result, save_result
from scaling_lab.scenario import Endpoint, Scenario, load_scenario
from scaling_lab.system import SystemConfig, load_system

__version__ = "0.1.0"

__all__ = [
    "Endpoint",
    "EnvironmentProblem",
    "ExitCode",
    "InputError",
    "ResultBuilder",
    "ResultKind",
    "RunResult",
    "ScalingLabError",
    "Scenario",
    "SystemConfig",
    "ThresholdsFailed",
    "ValidationFailed",
    "__version__",
    "load_result",
    "load_scenario",
    "load_system",
    "save_result",
]
