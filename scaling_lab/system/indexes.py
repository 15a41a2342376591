"""Which of the app's DynamoDB indexes each endpoint uses, and the ones a system file misses.

The Triggers API (emulator/app/store.py) keeps two sparse indexes: ``inbox`` (tenant + sort
key), which ``GET /v1/inbox`` queries, and ``inbox_by_type`` (tenant + event type). A new event
is projected into both and an ack removes it from both, so those writes cost units in each
index. A system file that does not declare an index the scenario's endpoints touch leaves that
index's capacity and per-key limits out of the prediction.
"""

from __future__ import annotations

from scaling_lab.scenario.models import Endpoint, Scenario
from scaling_lab.system.models import SystemConfig

INBOX_INDEX = "inbox"
INBOX_TYPE_INDEX = "inbox_by_type"

# endpoint -> the indexes it reads or writes (the app's own index names)
ENDPOINT_INDEXES: dict[Endpoint, tuple[str, ...]] = {
    Endpoint.POST_EVENTS: (INBOX_INDEX, INBOX_TYPE_INDEX),
    Endpoint.GET_INBOX: (INBOX_INDEX,),
    Endpoint.ACK: (INBOX_INDEX, INBOX_TYPE_INDEX),
}


def undeclared_indexes(scenario: Scenario, system: SystemConfig) -> dict[str, list[Endpoint]]:
    """The indexes the scenario's endpoints use that ``system`` does not declare, each with the
    endpoints that use it (in the scenario's mix order)."""
    declared = {g.name for g in system.dynamodb.gsis}
    out: dict[str, list[Endpoint]] = {}
    for endpoint in scenario.mix.fractions():
        for index in ENDPOINT_INDEXES[endpoint]:
            if index not in declared:
                out.setdefault(index, []).append(endpoint)
    return out
