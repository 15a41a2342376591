"""The seam where capacity emulation and fault injection plug into the app.

An extension is a ``module:function`` named in ``AppSettings.extensions``; it is called once,
in the API process, with an :class:`AppContext` before the app and its clients are built. It
may append ASGI middleware (wrapping every request, e.g. a Lambda concurrency gate) and client
hooks (registering botocore event handlers on the DynamoDB/SQS clients). ``system_json`` is the
SystemConfig the stack was started with, or None.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.app.clients import ClientHook
from emulator.app.settings import AppSettings

__all__ = ["AppContext", "Extension", "load_extensions"]


@dataclass
class AppContext:
    """What an extension may add to: middleware is ``starlette.middleware.Middleware`` entries,
    outermost first; client hooks are called as ``hook(service_name, client)``."""

    settings: AppSettings
    middleware: list[Any] = field(default_factory=list)
    client_hooks: list[ClientHook] = field(default_factory=list)
    #: Objects an extension wants to keep alive or expose (e.g. its metrics publisher).
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def system_json(self) -> str | None:
        """JSON of the SystemConfig the stack was started with, or None."""
        return self.settings.system_json


Extension = Callable[[AppContext], None]


def _resolve(spec: str) -> Extension:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"extension {spec!r}: expected 'module:function'")
    fn = getattr(importlib.import_module(module_name), attr, None)
    if not callable(fn):
        raise ValueError(f"extension {spec!r}: {attr} is not a callable in {module_name}")
    return fn  # type: ignore[no-any-return]


def load_extensions(settings: AppSettings, context: AppContext | None = None) -> AppContext:
    """Run every extension of ``settings`` on a context and return it."""
    ctx = context if context is not None else AppContext(settings)
    for spec in settings.extensions:
        _resolve(spec)(ctx)
    return ctx
