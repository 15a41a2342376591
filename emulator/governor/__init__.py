"""AWS capacity emulation and fault injection for the local stack.

The local backends have no capacity limits; the governor adds them from the same SystemConfig
the model reads: a Lambda gate (ASGI middleware) in front of the handler, DynamoDB capacity and
faults as botocore event handlers on the app's clients, DynamoDB auto scaling through
``UpdateTable``, and CloudWatch metrics with AWS's names. Wire it into the app with the
extension :func:`install` (``AppSettings.extensions = ("emulator.governor:install",)``;
``emulator.governor:extend`` is the same function).
"""

from __future__ import annotations

import logging

from emulator.app.extensions import AppContext
from emulator.governor.faults import FaultTimeline, JournalEntry
from emulator.governor.items import item_size_bytes
from emulator.governor.lambda_gate import LambdaGate
from emulator.governor.metrics import SecondCounters, cloudwatch_datums
from emulator.governor.runtime import Governor
from emulator.governor.settings import ENV_VAR, GovernorSettings
from scaling_lab.system.models import SystemConfig

__all__ = [
    "ENV_VAR",
    "EXTENSION",
    "FaultTimeline",
    "Governor",
    "GovernorSettings",
    "JournalEntry",
    "LambdaGate",
    "SecondCounters",
    "cloudwatch_datums",
    "extend",
    "install",
    "item_size_bytes",
]

log = logging.getLogger("emulator.governor")

#: The ``module:function`` to put in ``AppSettings.extensions``.
EXTENSION = "emulator.governor:install"


def install(ctx: AppContext) -> None:
    """App extension: add the Lambda gate (outermost middleware) and the client hooks.

    Needs ``ctx.system_json``; governor settings come from ``SCALING_LAB_GOVERNOR`` (optional).
    The governor is kept in ``ctx.state["governor"]``.
    """
    from starlette.middleware import Middleware

    if ctx.system_json is None:
        log.warning("governor not installed: the app was started without a system file")
        return
    # A scaled system stays valid (scaling_lab.system.scaling keeps 100 x k unreserved).
    system = SystemConfig.model_validate_json(ctx.system_json)
    governor = Governor(system, GovernorSettings.from_env(), ctx.settings)
    ctx.middleware.insert(0, Middleware(LambdaGate, governor=governor))
    ctx.client_hooks.append(governor.client_hook)
    ctx.state["governor"] = governor
    governor.start_background()


#: The name :mod:`emulator.stack` looks for.
extend = install
