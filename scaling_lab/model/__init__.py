"""The SimPy model of the AWS scaling rules (``scaling-lab predict``) and its capacity rules.

Public surface: :func:`predict` (a RunResult of kind ``predicted``), :func:`simulate` (one
replication's world), the pure capacity arithmetic and limiters the emulator's governor
shares (:mod:`scaling_lab.model.capacity`), botocore's retry schedules
(:mod:`scaling_lab.model.retry`) and the queueing formulas used to validate the model
(:mod:`scaling_lab.model.theory`).
"""

from scaling_lab.model.capacity import (
    AutoScaler,
    BurstBucket,
    OnDemandLimiter,
    ScalingEvent,
    TokenBucket,
    read_units,
    update_units,
    write_units,
)
from scaling_lab.model.predict import Mode, interval_figures, predict, simulate
from scaling_lab.model.retry import RetryPolicy, RetryQuotaPool
from scaling_lab.model.theory import erlang_b, erlang_c, mm_inf_mean

__all__ = [
    "AutoScaler",
    "BurstBucket",
    "Mode",
    "OnDemandLimiter",
    "RetryPolicy",
    "RetryQuotaPool",
    "ScalingEvent",
    "TokenBucket",
    "erlang_b",
    "erlang_c",
    "interval_figures",
    "mm_inf_mean",
    "predict",
    "read_units",
    "simulate",
    "update_units",
    "write_units",
]
