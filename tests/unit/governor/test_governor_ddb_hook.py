"""The DynamoDB hook: genuine AWS throttles that botocore retries, capacity by AWS's rules."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from governor_helpers import hooked_client, make_governor

from emulator.governor.ddb import PTEE_MESSAGE, dynamodb_error
from scaling_lab.scenario.models import Fault
from scaling_lab.system import load_system
from scaling_lab.system.scaling import scale_system

TABLE = "triggers-events"


_n = iter(range(10**9))


def _item(payload_bytes: int, pk: str | None = None) -> dict:
    """An item; a fresh partition key value each time unless ``pk`` is given."""
    key = pk if pk is not None else f"t{next(_n)}"
    return {"pk": {"S": key}, "sk": {"S": "e"}, "payload": {"S": "x" * payload_bytes}}


def test_error_response_is_what_dynamodb_sends():
    resp = dynamodb_error(400, "ProvisionedThroughputExceededException", PTEE_MESSAGE)
    body = json.loads(resp.content)
    assert resp.status_code == 400
    assert body["__type"] == (
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
    )
    assert body["message"].startswith("The level of configured provisioned throughput")
    assert resp.headers["Content-Type"] == "application/x-amz-json-1.0"
    import zlib

    assert int(resp.headers["x-amz-crc32"]) == zlib.crc32(resp.content)


def test_write_is_charged_the_tables_own_units(clock, app_settings):
    # GSIs have their own provisioned throughput; the table's ConsumedWriteCapacityUnits
    # counts the table alone (GSI.html#GSI.ThroughputConsiderations).
    g = make_governor(clock, app_settings)
    client = hooked_client(g)
    client.put_item(TableName=TABLE, Item=_item(1500))  # ~1.5 KB: 2 WCU
    assert g.counters.totals["ddb_consumed_wcu"] == 2
    client.put_item(TableName=TABLE, Item=_item(10))  # under 1 KB: 1 WCU
    assert g.counters.totals["ddb_consumed_wcu"] == 3
    client.put_item(TableName="other-table", Item=_item(1500))
    assert g.counters.totals["ddb_consumed_wcu"] == 3  # only the system file's table


def test_throttle_is_retried_by_botocore_and_surfaces_as_ptee(clock, app_settings):
    # 0.01 scale -> 50 WCU provisioned; start with no burst credit and drain the second.
    g = make_governor(
        clock, app_settings, scale_system(load_system("staging"), 0.01), burst_credit_full=False
    )
    client = hooked_client(g, mode="legacy", attempts=4)
    admitted = 0
    with pytest.raises(ClientError) as info:
        for _ in range(200):
            client.put_item(TableName=TABLE, Item=_item(10))
            admitted += 1
    err = info.value.response
    assert err["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["ResponseMetadata"]["RetryAttempts"] == 3
    assert admitted == 50  # 50 WCU in the bucket / 1 WCU per event
    assert g.counters.totals["ddb_throttled"] == 4
    assert g.counters.totals["ddb_write_throttles"] == 4
    assert g.counters.totals["ddb_retries"] == 3


def test_one_key_value_is_capped_at_one_partition_with_the_reason_dynamodb_gives(
    clock, app_settings
):
    """Each partition serves at most 1,000 write units per second (here x 0.01: 10), so one
    tenant's writes throttle with TableWriteKeyRangeThroughputExceeded while the table still
    has 50 WCU -- warm-throughput-scenarios.html, API_ThrottlingReason.html."""
    g = make_governor(
        clock, app_settings, scale_system(load_system("staging"), 0.01), burst_credit_full=False
    )
    client = hooked_client(g, attempts=1)
    admitted = 0
    with pytest.raises(ClientError) as info:
        for _ in range(50):
            client.put_item(TableName=TABLE, Item=_item(10, pk="tenant-1"))
            admitted += 1
    assert admitted == 10
    reasons = info.value.response["ThrottlingReasons"]
    assert reasons == [
        {
            "reason": "TableWriteKeyRangeThroughputExceeded",
            "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/triggers-events",
        }
    ]
    client.put_item(TableName=TABLE, Item=_item(10, pk="tenant-2"))  # another key: fine
    clock.advance(0.1)  # 1 unit refilled on tenant-1's partition (10/s)
    client.put_item(TableName=TABLE, Item=_item(10, pk="tenant-1"))


def test_capacity_refills_at_the_provisioned_rate(clock, app_settings):
    g = make_governor(
        clock, app_settings, scale_system(load_system("staging"), 0.01), burst_credit_full=False
    )
    client = hooked_client(g, attempts=1)
    for _ in range(50):
        client.put_item(TableName=TABLE, Item=_item(10))
    with pytest.raises(ClientError):
        client.put_item(TableName=TABLE, Item=_item(10))
    clock.advance(0.04)  # 2 WCU accrue at 50 WCU/s: two more 1-WCU events
    client.put_item(TableName=TABLE, Item=_item(10))
    client.put_item(TableName=TABLE, Item=_item(10))
    with pytest.raises(ClientError):
        client.put_item(TableName=TABLE, Item=_item(10))


def test_dynamodb_errors_fault_returns_internal_server_error(clock, app_settings):
    fault = Fault(kind="dynamodb_errors", at="0s", duration="10s", rate=1.0)
    g = make_governor(clock, app_settings, faults=[fault])
    g.start(clock())
    client = hooked_client(g, attempts=2)
    with pytest.raises(ClientError) as info:
        client.get_item(TableName=TABLE, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
    assert info.value.response["Error"]["Code"] == "InternalServerError"
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert g.timeline.journal[0].affected_calls == 2
    clock.advance(10)  # rolled back at its end
    client.get_item(TableName=TABLE, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})


def test_backend_unreachable_is_a_connection_error(clock, app_settings):
    fault = Fault(kind="backend_unreachable", at="5s", duration="10s", target="all")
    g = make_governor(clock, app_settings, faults=[fault])
    g.start(clock())
    client = hooked_client(g, attempts=1)
    client.put_item(TableName=TABLE, Item=_item(10))  # before the fault
    clock.advance(5)
    with pytest.raises(EndpointConnectionError):
        client.put_item(TableName=TABLE, Item=_item(10))


def test_throttle_storm_forces_capacity_down_and_back(clock, app_settings):
    fault = Fault(kind="throttle_storm", at="1s", duration="2s", capacity_factor=0.1)
    g = make_governor(
        clock,
        app_settings,
        scale_system(load_system("staging"), 0.01),
        burst_credit_full=False,
        faults=[fault],
    )
    g.start(clock())
    clock.advance(1.0)
    g.sync(clock())
    assert g.provisioned_now()[0] == pytest.approx(5.0)
    clock.advance(2.0)
    g.sync(clock())
    assert g.provisioned_now()[0] == pytest.approx(50.0)


class _FakeSqsRequest:
    url = "http://127.0.0.1:9"
    headers: dict = {}  # noqa: RUF012 - a stand-in, never mutated


def test_sqs_unavailable_and_added_latency(clock, app_settings, monkeypatch):
    faults = [
        Fault(kind="sqs_unavailable", at="0s", duration="1s"),
        Fault(kind="added_latency", at="1s", duration="1s", latency_ms=250, target="sqs"),
    ]
    g = make_governor(clock, app_settings, faults=faults)
    g.start(clock())
    with pytest.raises(EndpointConnectionError):
        g.sqs_hook.before_send(_FakeSqsRequest())
    slept: list[float] = []
    monkeypatch.setattr("emulator.governor.ddb.time.sleep", slept.append)
    clock.advance(1.0)
    assert g.sqs_hook.before_send(_FakeSqsRequest()) is None
    assert slept == [0.25]
    clock.advance(1.0)
    g.sqs_hook.before_send(_FakeSqsRequest())
    assert slept == [0.25]  # rolled back
    assert [e.affected_calls for e in g.timeline.journal] == [1, 1]


def test_on_demand_table_throttles_with_throttling_exception_over_its_limit(clock, app_settings):
    # on-demand at 0.001: warm throughput 4 WCU/s, so four 1-WCU events per second.
    g = make_governor(clock, app_settings, scale_system(load_system("on-demand"), 0.001))
    client = hooked_client(g, attempts=1)
    for _ in range(4):
        client.put_item(TableName=TABLE, Item=_item(10))
    with pytest.raises(ClientError) as info:
        client.put_item(TableName=TABLE, Item=_item(10))
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert "automatically scaling" in info.value.response["Error"]["Message"]
