"""Scenario files: typed models, loader, durations and k6 threshold grammar."""

from scaling_lab.scenario.durations import format_duration, parse_duration
from scaling_lab.scenario.loader import (
    find_scenario,
    list_scenario_files,
    load_scenario,
    scenarios_dir,
)
from scaling_lab.scenario.models import (
    ENDPOINTS,
    Endpoint,
    Fault,
    FaultKind,
    InboxConfig,
    Mix,
    PayloadConfig,
    RampKind,
    RecoverySLO,
    Scenario,
    Stage,
    Traffic,
)
from scaling_lab.scenario.thresholds import (
    Threshold,
    ThresholdSyntaxError,
    evaluate,
    parse_threshold,
)

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "Fault",
    "FaultKind",
    "InboxConfig",
    "Mix",
    "PayloadConfig",
    "RampKind",
    "RecoverySLO",
    "Scenario",
    "Stage",
    "Threshold",
    "ThresholdSyntaxError",
    "Traffic",
    "evaluate",
    "find_scenario",
    "format_duration",
    "list_scenario_files",
    "load_scenario",
    "parse_duration",
    "parse_threshold",
    "scenarios_dir",
]
