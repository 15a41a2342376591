"""verify: predict a scenario, run it for real, compare the two, calibrate, compare again."""

from scaling_lab.verify.workflow import (
    LOCAL_THROTTLED_CALL_MS,
    NullListener,
    VerifyListener,
    VerifyOptions,
    VerifyOutcome,
    VerifyPlan,
    for_target,
    verify,
)

__all__ = [
    "LOCAL_THROTTLED_CALL_MS",
    "NullListener",
    "VerifyListener",
    "VerifyOptions",
    "VerifyOutcome",
    "VerifyPlan",
    "for_target",
    "verify",
]
