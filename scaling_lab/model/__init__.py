"""The SimPy model of the AWS scaling rules (``scaling-lab predict``).

Public surface: :func:`predict` (a RunResult of kind ``predicted``), :func:`simulate` (one
replication's world) and the queueing formulas used to validate the model
(:mod:`scaling_lab.model.theory`). The AWS rules themselves live in the rulebook,
:mod:`scaling_lab.aws`, which the emulator's governor drives too.
"""

from scaling_lab.model.predict import Mode, interval_figures, predict, simulate
from scaling_lab.model.theory import erlang_b, mm_inf_mean

__all__ = [
    "Mode",
    "erlang_b",
    "interval_figures",
    "mm_inf_mean",
    "predict",
    "simulate",
]
