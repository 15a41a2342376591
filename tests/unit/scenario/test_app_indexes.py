"""The endpoint -> index map the ``validate`` warning uses is the app's own."""

from __future__ import annotations

from emulator.app import store
from scaling_lab.scenario import load_scenario
from scaling_lab.scenario.models import Endpoint
from scaling_lab.system import load_system
from scaling_lab.system.indexes import ENDPOINT_INDEXES, undeclared_indexes


def test_the_index_names_are_the_apps() -> None:
    names = {i for indexes in ENDPOINT_INDEXES.values() for i in indexes}
    assert names == {store.INBOX_INDEX, store.INBOX_TYPE_INDEX}
    assert set(ENDPOINT_INDEXES) == set(Endpoint)


def test_a_system_without_the_type_index_misses_it_for_writes_only() -> None:
    system = load_system("staging")
    ddb = system.dynamodb.model_copy(
        update={"gsis": [g for g in system.dynamodb.gsis if g.name == store.INBOX_INDEX]}
    )
    bare = system.model_copy(update={"dynamodb": ddb})
    assert undeclared_indexes(load_scenario("mixed"), bare) == {
        store.INBOX_TYPE_INDEX: [Endpoint.POST_EVENTS]
    }
    assert undeclared_indexes(load_scenario("mixed"), system) == {}
