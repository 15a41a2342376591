"""The LocalStack backend, started with testcontainers when Docker is reachable.

Image pinned by :data:`DEFAULT_IMAGE` (override: ``SCALING_LAB_LOCALSTACK_IMAGE``);
``LOCALSTACK_AUTH_TOKEN`` is passed through when set. Ready when ``/_localstack/health``
reports every needed service available; the endpoint comes from the mapped port.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from emulator.stack.endpoints import Endpoints
from emulator.stack.errors import BackendUnavailable

__all__ = ["DEFAULT_IMAGE", "LocalStackBackend", "docker_reachable", "start_localstack"]

DEFAULT_IMAGE = "localstack/localstack:4.4.0"
SERVICES = ("dynamodb", "sqs", "cloudwatch", "s3")
EDGE_PORT = 4566


def docker_reachable(timeout_s: float = 2.0) -> bool:
    """True when a Docker engine answers a ping."""
    try:
        import docker

        client = docker.from_env(timeout=int(max(1, timeout_s)))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def image() -> str:
    """The LocalStack image to run."""
    return os.environ.get("SCALING_LAB_LOCALSTACK_IMAGE") or DEFAULT_IMAGE


def container_env() -> dict[str, str]:
    """Environment of the container: the services, and the auth token when the user has one."""
    env = {"SERVICES": ",".join(SERVICES), "EAGER_SERVICE_LOADING": "1"}
    token = os.environ.get("LOCALSTACK_AUTH_TOKEN")
    if token:
        env["LOCALSTACK_AUTH_TOKEN"] = token
    return env


def services_ready(health: dict[str, Any]) -> bool:
    """True when LocalStack's health document lists every needed service as up."""
    states = health.get("services", {})
    return all(states.get(s) in ("available", "running") for s in SERVICES)


@dataclass
class LocalStackBackend:
    """A running LocalStack container."""

    endpoints: Endpoints
    container: Any

    def stop(self) -> None:
        """Stop and remove the container."""
        self.container.stop()


def _wait_health(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_localstack/health", timeout=3) as resp:
                health = json.loads(resp.read())
            if services_ready(health):
                return
            last = json.dumps(health.get("services", {}))[:300]
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.5)
    raise BackendUnavailable(f"LocalStack not healthy after {timeout_s:.0f}s at {url}: {last}")


def start_localstack(timeout_s: float = 120.0) -> LocalStackBackend:
    """Start the container and wait for its health endpoint."""
    if not docker_reachable():
        raise BackendUnavailable("backend localstack needs a reachable Docker engine")
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(image()).with_exposed_ports(EDGE_PORT)
    for key, value in container_env().items():
        container = container.with_env(key, value)
    try:
        container.start()
        host = container.get_container_host_ip()
        if host in ("localhost", "0.0.0.0"):
            host = "127.0.0.1"
        url = f"http://{host}:{container.get_exposed_port(EDGE_PORT)}"
        _wait_health(url, timeout_s)
    except BackendUnavailable:
        container.stop()
        raise
    except Exception as exc:
        try:
            container.stop()
        finally:
            raise BackendUnavailable(f"LocalStack ({image()}) failed to start: {exc}") from exc
    return LocalStackBackend(Endpoints(dynamodb=url, sqs=url, cloudwatch=url, s3=url), container)
