"""The embedded SQS server's queue semantics (service level, fake clock) and wire protocol."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from emulator.stack.sqs_server import SqsError, SqsService, create_app, md5_of_message_attributes


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(clock: Clock) -> SqsService:
    return SqsService(clock=clock)


def make_queue(svc: SqsService, name: str = "q", **attrs: str) -> str:
    return str(svc.create_queue("http://h", {"QueueName": name, "Attributes": attrs})["QueueUrl"])


def receive(svc: SqsService, url: str, n: int = 10, **kw: Any) -> list[dict[str, Any]]:
    out = asyncio.run(svc.receive_message({"QueueUrl": url, "MaxNumberOfMessages": n, **kw}))
    return list(out.get("Messages", []))


def depth(svc: SqsService, url: str) -> tuple[int, int]:
    a = svc.get_queue_attributes({"QueueUrl": url})["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def test_send_receive_delete_in_order(svc):
    url = make_queue(svc)
    for i in range(15):
        svc.send_message({"QueueUrl": url, "MessageBody": f"m{i}"})
    got = receive(svc, url)
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(10)]
    assert depth(svc, url) == (5, 10)
    svc.delete_message_batch(
        {
            "QueueUrl": url,
            "Entries": [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
            ],
        }
    )
    assert depth(svc, url) == (5, 0)


def test_unacknowledged_message_returns_after_visibility_timeout(svc, clock):
    url = make_queue(svc, VisibilityTimeout="30")
    svc.send_message({"QueueUrl": url, "MessageBody": "x"})
    first = receive(svc, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert receive(svc, url) == []
    clock.now += 31
    again = receive(svc, url, MessageSystemAttributeNames=["All"])
    assert again[0]["MessageId"] == first[0]["MessageId"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    # the old receipt no longer deletes it
    svc.delete_message({"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"]})
    assert depth(svc, url) == (0, 1)


def test_redrive_to_dead_letter_queue_after_max_receives(svc, clock):
    dlq = make_queue(svc, "dlq")
    url = make_queue(
        svc,
        "q",
        VisibilityTimeout="1",
        RedrivePolicy=json.dumps(
            {"deadLetterTargetArn": svc.queues["dlq"].arn, "maxReceiveCount": 2}
        ),
    )
    svc.send_message({"QueueUrl": url, "MessageBody": "poison"})
    for _ in range(2):
        assert len(receive(svc, url)) == 1
        clock.now += 2
    assert receive(svc, url) == []
    assert [m["Body"] for m in receive(svc, dlq)] == ["poison"]


def test_batch_limits_and_unknown_queue(svc):
    url = make_queue(svc)
    with pytest.raises(SqsError, match="at most 10"):
        svc.send_message_batch(
            {"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": "x"} for i in range(11)]}
        )
    with pytest.raises(SqsError) as info:
        svc.send_message({"QueueUrl": "http://h/000000000000/nope", "MessageBody": "x"})
    assert info.value.code == "QueueDoesNotExist"
    with pytest.raises(SqsError):
        receive(svc, url, n=11)


def test_delayed_message_is_invisible_until_due(svc, clock):
    url = make_queue(svc)
    svc.send_message({"QueueUrl": url, "MessageBody": "later", "DelaySeconds": 5})
    assert receive(svc, url) == []
    clock.now += 5
    assert [m["Body"] for m in receive(svc, url)] == ["later"]


def test_long_poll_returns_when_a_message_arrives():
    async def scenario() -> list[dict[str, Any]]:
        svc = SqsService()
        url = make_queue(svc)
        waiter = asyncio.create_task(svc.receive_message({"QueueUrl": url, "WaitTimeSeconds": 5}))
        await asyncio.sleep(0.05)
        svc.send_message({"QueueUrl": url, "MessageBody": "hi"})
        out = await asyncio.wait_for(waiter, 2)
        return list(out["Messages"])

    assert [m["Body"] for m in asyncio.run(scenario())] == ["hi"]


def test_message_attribute_md5_matches_moto():
    from moto.sqs.models import Message

    attrs = {
        "b": {"DataType": "String", "StringValue": "v"},
        "a": {"DataType": "Number", "StringValue": "12"},
    }
    reference = Message("id", "body")
    reference.message_attributes = attrs
    assert md5_of_message_attributes(attrs) == reference.attribute_md5


def test_wire_protocol_with_boto3():
    """boto3 talks to the ASGI app through httpx's ASGI transport via a botocore hook-free path."""
    import httpx

    app = create_app()

    async def call(op: str, body: dict[str, Any]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sqs.local") as c:
            return await c.post(
                "/",
                json=body,
                headers={
                    "X-Amz-Target": f"AmazonSQS.{op}",
                    "Content-Type": "application/x-amz-json-1.0",
                },
            )

    async def scenario() -> None:
        url = (await call("CreateQueue", {"QueueName": "w"})).json()["QueueUrl"]
        assert url == "http://sqs.local/000000000000/w"
        sent = (await call("SendMessage", {"QueueUrl": url, "MessageBody": "b"})).json()
        assert sent["MD5OfMessageBody"] == "92eb5ffee6ae2fec3ad71c777531578f"
        bad = await call("GetQueueUrl", {"QueueName": "missing"})
        assert bad.status_code == 400
        assert bad.json()["__type"].endswith("#QueueDoesNotExist")
        assert bad.headers["x-amzn-query-error"].startswith(
            "AWS.SimpleQueueService.NonExistentQueue"
        )
        assert (await call("Frobnicate", {})).status_code == 400

    asyncio.run(scenario())
