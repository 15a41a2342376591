"""The embedded backend: dynalite (DynamoDB, npm), this project's SQS server, and moto under
waitress (CloudWatch, S3).

Chosen by measurement on a 2-core machine (docs/emulator.md): dynalite answers PutItem and
Query on a key range without scanning the table (moto's DynamoDB scans on every Query); moto's
SQS reads every queued message per call, so SQS is served by :mod:`emulator.stack.sqs_server`.
Each runs as a child process on a free loopback port; no Docker, no AWS account.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from emulator.stack.endpoints import Endpoints
from emulator.stack.npm import DYNALITE_SERVER, dynalite_cli, node_binary
from emulator.stack.procs import ChildProcess, free_port, wait_http

__all__ = ["EmbeddedBackend", "start_embedded"]


@dataclass
class EmbeddedBackend:
    """The running children; :meth:`stop` ends them."""

    endpoints: Endpoints
    children: list[ChildProcess]

    def stop(self) -> None:
        """Stop every child (reverse start order)."""
        for child in reversed(self.children):
            child.stop()


def start_embedded(
    run_dir: Path, persist: bool = False, timeout_s: float = 30.0
) -> EmbeddedBackend:
    """Start both children and wait until they answer.

    ``persist`` keeps DynamoDB data in LevelDB files under ``run_dir`` instead of memory (the
    data then survives a backend restart; the API process is separate either way).
    """
    node = node_binary()
    cli = dynalite_cli()
    children: list[ChildProcess] = []
    try:
        ddb_port = free_port()
        argv = [
            node,
            str(DYNALITE_SERVER),
            str(cli),
            "--host",
            "127.0.0.1",
            "--port",
            str(ddb_port),
        ]
        argv += ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
        if persist:
            argv += ["--path", str(run_dir / "dynamodb")]
        dynalite = ChildProcess("dynalite", argv, run_dir / "dynalite.log")
        children.append(dynalite)
        sqs_port = free_port()
        sqs = ChildProcess(
            "sqs",
            [sys.executable, "-m", "emulator.stack.sqs_server", "--port", str(sqs_port)],
            run_dir / "sqs.log",
        )
        children.append(sqs)
        moto_port = free_port()
        moto = ChildProcess(
            "moto",
            [sys.executable, "-m", "emulator.stack.moto_server", "--port", str(moto_port)],
            run_dir / "moto.log",
        )
        children.append(moto)
        ddb_url = f"http://127.0.0.1:{ddb_port}"
        moto_url = f"http://127.0.0.1:{moto_port}"
        sqs_url = f"http://127.0.0.1:{sqs_port}"
        wait_http(ddb_url + "/", timeout_s, dynalite)
        wait_http(sqs_url + "/", timeout_s, sqs)
        wait_http(moto_url + "/moto-api/", timeout_s, moto)
    except BaseException:
        for child in reversed(children):
            child.stop()
        raise
    return EmbeddedBackend(
        Endpoints(dynamodb=ddb_url, sqs=sqs_url, cloudwatch=moto_url, s3=moto_url), children
    )
