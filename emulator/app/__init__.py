"""The Triggers API: ``POST /v1/events``, ``GET /v1/inbox``, ``POST /v1/events/{id}/ack``.

One core (:class:`TriggersApi`) behind two entry points: :func:`create_app` (ASGI, served
locally by ``python -m emulator.app.serve``) and :func:`emulator.app.lambda_handler.handler`
(AWS Lambda, payload format 2.0). AWS clients are built only by :func:`build_clients`;
extensions (:mod:`emulator.app.extensions`) add ASGI middleware and botocore client hooks.
"""

from emulator.app.asgi import create_app
from emulator.app.clients import AwsClients, ClientHook, build_clients
from emulator.app.core import HttpRequest, HttpResponse, TriggersApi
from emulator.app.extensions import AppContext, load_extensions
from emulator.app.keys import generate_api_key, hash_api_key
from emulator.app.settings import AppSettings, RetrySettings
from emulator.app.store import EventStore, table_definitions
from emulator.app.worker import DeliveryWorker

__all__ = [
    "AppContext",
    "AppSettings",
    "AwsClients",
    "ClientHook",
    "DeliveryWorker",
    "EventStore",
    "HttpRequest",
    "HttpResponse",
    "RetrySettings",
    "TriggersApi",
    "build_clients",
    "create_app",
    "generate_api_key",
    "hash_api_key",
    "load_extensions",
    "table_definitions",
]
