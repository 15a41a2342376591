"""An SQS-compatible server (JSON protocol, standard queues) for the embedded backend.

Run as ``python -m emulator.stack.sqs_server --port N``. Chosen because moto's SQS reads every
queued message on each send and receive (its cost grows with queue depth, measured in
docs/emulator.md), and no open-licence SQS emulator on npm or PyPI speaks the JSON protocol
botocore uses. Every operation here is O(batch) whatever the depth. Implements what the
Triggers API, its delivery worker and the audit use: queues, send (+batch), receive (long
polling, visibility timeout, receive counts, redrive to a dead-letter queue), delete (+batch),
change visibility, purge, attributes. Messages live in memory (as in an emulator test run).
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

from emulator.stack.sqs_service import SqsError, SqsService, md5_of_message_attributes

__all__ = ["SqsError", "SqsService", "create_app", "md5_of_message_attributes"]


_SYNC_OPS = {
    "GetQueueUrl": SqsService.get_queue_url,
    "ListQueues": SqsService.list_queues,
    "DeleteQueue": SqsService.delete_queue,
    "PurgeQueue": SqsService.purge_queue,
    "GetQueueAttributes": SqsService.get_queue_attributes,
    "SetQueueAttributes": SqsService.set_queue_attributes,
    "SendMessage": SqsService.send_message,
    "SendMessageBatch": SqsService.send_message_batch,
    "DeleteMessage": SqsService.delete_message,
    "DeleteMessageBatch": SqsService.delete_message_batch,
    "ChangeMessageVisibility": SqsService.change_message_visibility,
}


def create_app(service: SqsService | None = None) -> Any:
    """A raw ASGI app speaking SQS's JSON protocol (``X-Amz-Target: AmazonSQS.<Op>``)."""
    svc = service or SqsService()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = dict(scope["headers"])
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        target = headers.get(b"x-amz-target", b"").decode()
        status, extra = 200, []
        try:
            if scope["method"] == "GET":
                payload: dict[str, Any] = {"status": "ok", "queues": len(svc.queues)}
            else:
                op = target.rpartition(".")[2]
                req = json.loads(b"".join(chunks) or b"{}")
                if op == "CreateQueue":
                    host = headers.get(b"host", b"127.0.0.1").decode()
                    payload = svc.create_queue(f"http://{host}", req)
                elif op == "ReceiveMessage":
                    payload = await svc.receive_message(req)
                elif op in _SYNC_OPS:
                    payload = _SYNC_OPS[op](svc, req)
                else:
                    raise SqsError(
                        "UnsupportedOperation", f"{op or 'no operation'} is not supported"
                    )
        except SqsError as exc:
            status = 400
            payload = {"__type": f"com.amazonaws.sqs#{exc.code}", "message": exc.message}
            extra = [(b"x-amzn-query-error", f"{exc.query_code};Sender".encode())]
        except (ValueError, KeyError, TypeError) as exc:
            status = 400
            payload = {"__type": "com.amazonaws.sqs#InvalidParameterValue", "message": str(exc)}
            extra = [(b"x-amzn-query-error", b"InvalidParameterValue;Sender")]
        body = json.dumps(payload, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/x-amz-json-1.0"),
                    (b"x-amzn-requestid", uuid.uuid4().hex.encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    app.service = svc  # type: ignore[attr-defined]
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve on ``--host/--port`` until SIGTERM/SIGINT."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m emulator.stack.sqs_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=60,
        backlog=2048,
    )


if __name__ == "__main__":
    main()
