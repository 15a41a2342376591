"""Read the emulator's own per-second counters from its JSON endpoint (``/_governor/metrics``).

The local stack's governor serves, for every second since the run started, the figures of
scaling_lab's result series under their own names (``lambda_concurrency``, ``cold_starts``,
``ddb_consumed_wcu``, ``ddb_throttled``, ``ddb_retries``, ...), keyed by epoch second; see
docs/emulation.md for the document's shape.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from scaling_lab.aws.throttles import ThrottleCause
from scaling_lab.errors import EnvironmentProblem
from scaling_lab.observe.figures import FIGURE_NAMES, Figures, FigureSeries

__all__ = ["METRICS_PATH", "fetch_local_metrics", "figures_from_document"]

METRICS_PATH = "/_governor/metrics"
_GAUGES = {
    "lambda_concurrency": "Maximum",
    "ddb_provisioned_wcu": "Maximum",
    "ddb_provisioned_rcu": "Maximum",
    "sqs_depth": "Maximum",
}


def figures_from_document(doc: dict[str, Any]) -> Figures:
    """:class:`Figures` (1-second periods) from the endpoint's JSON document."""
    series: dict[str, FigureSeries] = {}
    for sec in doc.get("seconds", []):
        epoch = int(sec["epoch_s"])
        for name, value in sec.items():
            if name not in FIGURE_NAMES or value is None:
                continue
            fs = series.setdefault(name, FigureSeries(_GAUGES.get(name, "Sum"), 1))
            fs.add(epoch, float(value))
    observable = {n for n in FIGURE_NAMES if n in series or n not in _GAUGES}
    if doc.get("state", {}).get("provisioned_wcu") is None:
        observable -= {"ddb_provisioned_wcu", "ddb_provisioned_rcu"}
    notes = []
    for f in doc.get("faults", []):
        fault = f.get("fault", {})
        notes.append(
            f"fault {fault.get('kind')} target={fault.get('target')} "
            f"applied_epoch_s={f.get('applied_epoch_s')} "
            f"rolled_back_epoch_s={f.get('rolled_back_epoch_s')} "
            f"affected_calls={f.get('affected_calls')}"
        )
    for a in doc.get("scaling_actions", []):
        notes.append(
            f"auto scaling {a.get('dimension')} {a.get('direction')} to {a.get('to_units')} "
            f"(decided t={a.get('decided_t_s')}s, effective t={a.get('effective_t_s')}s)"
        )
    causes = doc.get("throttles_by_cause") or None
    return Figures(
        series=series,
        source="emulator",
        observable=observable,
        throttles_by_cause=_causes(causes) if causes else None,
        notes=notes,
    )


def _causes(raw: dict[str, Any]) -> dict[ThrottleCause, int]:
    """The governor's throttle counts by the rulebook's cause names (unknown names dropped)."""
    known = {c.value for c in ThrottleCause}
    return {ThrottleCause(k): int(v) for k, v in raw.items() if k in known}


def fetch_local_metrics(
    base_url: str, since_epoch_s: int | None = None, timeout_s: float = 10.0
) -> Figures:
    """GET ``base_url + /_governor/metrics`` and parse it."""
    url = base_url.rstrip("/") + METRICS_PATH
    if since_epoch_s is not None:
        url += f"?since={int(since_epoch_s)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            doc = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise EnvironmentProblem(f"emulator metrics unavailable at {url}: {exc}") from exc
    if not isinstance(doc, dict):
        raise EnvironmentProblem(f"emulator metrics at {url}: not a JSON object")
    return figures_from_document(doc)
