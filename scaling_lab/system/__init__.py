"""The AWS configuration shared by the model and the emulator (system files)."""

from scaling_lab.system.distributions import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    LogNormal,
)
from scaling_lab.system.loader import find_system, load_system
from scaling_lab.system.models import (
    AutoScaling,
    CapacitySettings,
    DynamoDBConfig,
    DynamoDBMode,
    FrontDoor,
    FrontDoorKind,
    GsiConfig,
    LambdaConfig,
    LambdaScaling,
    RetryMode,
    ScalingRule,
    SdkConfig,
    SqsConfig,
    SqsConsumer,
    SystemConfig,
)
from scaling_lab.system.scaling import scale_count, scale_system

__all__ = [
    "AutoScaling",
    "CapacitySettings",
    "Constant",
    "Distribution",
    "DynamoDBConfig",
    "DynamoDBMode",
    "Empirical",
    "Exponential",
    "FrontDoor",
    "FrontDoorKind",
    "GsiConfig",
    "LambdaConfig",
    "LambdaScaling",
    "LogNormal",
    "RetryMode",
    "ScalingRule",
    "SdkConfig",
    "SqsConfig",
    "SqsConsumer",
    "SystemConfig",
    "find_system",
    "load_system",
    "scale_count",
    "scale_system",
]
