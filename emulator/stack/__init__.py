"""Local AWS backends for the Triggers API, provisioning, and the audit of a run.

Library API (tests, the k6 runner, the CLI)::

    from emulator.stack import start_local_stack

    with start_local_stack(backend="embedded", tenants=2, port=None, system=None) as stack:
        stack.url              # "http://127.0.0.1:PORT", the API (one uvicorn process)
        stack.api_keys         # one plain-text key per tenant; stack.tenants: their ids
        stack.endpoints        # Endpoints(dynamodb=, sqs=, cloudwatch=, s3=) URLs
        stack.settings         # AppSettings: events_table, api_keys_table, deliveries_table,
                               #   queue_url, region, retries, extensions, system_json
        stack.prefill_inbox(stack.api_keys[0], 5000)   # backlog via BatchWriteItem
        stack.queue_depth()    # visible + in-flight messages
        stack.audit(accepted_ids)   # AuditReport: accepted vs stored vs enqueued, duplicates
        stack.kill_api(); stack.start_api()             # crash and restart the API process
        stack.client("dynamodb")    # boto3 client on the backend

``backend``: ``"embedded"`` (dynalite + moto as child processes; no Docker),
``"localstack"`` (testcontainers; needs Docker) or ``"auto"`` (LocalStack when Docker is
reachable). ``system``: a scaling_lab SystemConfig or None; its JSON reaches the API process
as ``AppSettings.system_json`` and, when ``emulator.governor`` exists, the stack adds the
extension ``emulator.governor:extend`` (see :mod:`emulator.app.extensions`). Other options:
``extensions``, ``worker_concurrency`` (0: no delivery worker), ``worker_batch_size``,
``run_dir`` (logs), ``persist`` (DynamoDB on disk), ``api_env`` (extra environment of the
API process).
"""

from emulator.stack.audit import (
    AuditReport,
    audit,
    load_stack_state,
    queue_depth,
    read_accepted_ids,
)
from emulator.stack.endpoints import Endpoints
from emulator.stack.errors import BackendUnavailable, StackInputError
from emulator.stack.provision import Provisioned, provision
from emulator.stack.selection import Backend, select_backend
from emulator.stack.stack import GOVERNOR_EXTENSION, Stack, start_local_stack

__all__ = [
    "GOVERNOR_EXTENSION",
    "AuditReport",
    "Backend",
    "BackendUnavailable",
    "Endpoints",
    "Provisioned",
    "Stack",
    "StackInputError",
    "audit",
    "load_stack_state",
    "provision",
    "queue_depth",
    "read_accepted_ids",
    "select_backend",
    "start_local_stack",
]
