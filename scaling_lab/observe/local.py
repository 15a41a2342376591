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

from pydantic import ValidationError

from scaling_lab.aws.metrics import FIGURES, Figure
from scaling_lab.aws.throttles import ThrottleCause
from scaling_lab.errors import EnvironmentProblem
from scaling_lab.observe.document import GovernorMetrics
from scaling_lab.observe.figures import FIGURE_NAMES, Figures, FigureSeries

__all__ = ["METRICS_PATH", "fetch_local_metrics", "figures_from_document"]

METRICS_PATH = "/_governor/metrics"


def figures_from_document(document: GovernorMetrics | dict[str, Any]) -> Figures:
    """:class:`Figures` (1-second periods) from the endpoint's JSON document."""
    doc = (
        document
        if isinstance(document, GovernorMetrics)
        else GovernorMetrics.model_validate(document)
    )
    series: dict[str, FigureSeries] = {}
    for sec in doc.seconds:
        epoch = int(sec["epoch_s"])
        for name, value in sec.items():
            if name not in FIGURE_NAMES or value is None:
                continue
            fs = series.setdefault(name, FigureSeries(FIGURES[Figure(name)].stat, 1))
            fs.add(epoch, float(value))
    # a counter absent from every second counted nothing (0); a gauge never read is unknown
    observable = {n for n in FIGURE_NAMES if n in series or FIGURES[Figure(n)].stat == "Sum"}
    if doc.state.provisioned_wcu is None:
        observable -= {Figure.DDB_PROVISIONED_WCU.value, Figure.DDB_PROVISIONED_RCU.value}
    notes = [
        f"fault {f.fault.kind.value} target={f.fault.target} "
        f"applied_epoch_s={f.applied_epoch_s} rolled_back_epoch_s={f.rolled_back_epoch_s} "
        f"affected_calls={f.affected_calls}"
        for f in doc.faults
    ]
    notes += [
        f"auto scaling {a.dimension} {a.direction} to {a.to_units} "
        f"(decided t={a.decided_t_s}s, effective t={a.effective_t_s}s)"
        for a in doc.scaling_actions
    ]
    causes = doc.throttles_by_cause
    return Figures(
        series=series,
        source="emulator",
        observable=observable,
        throttles_by_cause=_causes(causes) if causes else None,
        notes=notes,
    )


def _causes(raw: dict[str, int]) -> dict[ThrottleCause, int]:
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
    try:
        parsed = GovernorMetrics.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "document"
        raise EnvironmentProblem(
            f"emulator metrics at {url}: not a governor metrics document ({field}: {first['msg']})"
        ) from exc
    return figures_from_document(parsed)
