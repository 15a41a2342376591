"""The local stack's governor over HTTP (``/_governor/``): inject faults, clear them, read the
faults active now and the run's fault journal (emulator/governor/control.py serves them)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from pydantic import ValidationError

from scaling_lab.errors import EnvironmentProblem
from scaling_lab.jsontypes import JsonObject
from scaling_lab.observe.document import FaultRecord, GovernorMetrics
from scaling_lab.scenario.models import Fault

__all__ = ["FaultsNow", "GovernorClient"]

PREFIX = "/_governor/"


@dataclass(frozen=True)
class FaultsNow:
    run_time_s: float  # -1 before run time 0
    active: list[int]  # indexes (in the run's fault journal) of the faults active now


class GovernorClient:
    """One local stack's governor at ``base_url``; every failure an EnvironmentProblem."""

    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, name: str, body: JsonObject | None = None) -> JsonObject:
        url = self.base_url + PREFIX + name
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            url, data=data, method=method, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                doc = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise EnvironmentProblem(
                f"governor {method} {url}: HTTP {exc.code}: {detail}"
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise EnvironmentProblem(f"governor {method} {url}: {exc}") from None
        if not isinstance(doc, dict):
            raise EnvironmentProblem(f"governor {method} {url}: not a JSON object")
        return doc

    @staticmethod
    def _now(doc: JsonObject) -> FaultsNow:
        t = doc.get("run_time_s")
        active = doc.get("active")
        return FaultsNow(
            float(t) if isinstance(t, int | float) else -1.0,
            [int(i) for i in active if isinstance(i, int)] if isinstance(active, list) else [],
        )

    def inject(self, faults: list[Fault], *, from_now: bool = True) -> FaultsNow:
        """Add ``faults`` to the running timeline (``from_now``: ``at`` counts from now)."""
        body: JsonObject = {
            "faults": [f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in faults],
            "from_now": from_now,
        }
        return self._now(self._call("POST", "faults", body))

    def clear(self) -> tuple[list[int], FaultsNow]:
        """End every active fault and cancel pending ones: (their indexes, the state after)."""
        doc = self._call("POST", "faults/clear", {})
        cleared = doc.get("cleared")
        ids = [int(i) for i in cleared if isinstance(i, int)] if isinstance(cleared, list) else []
        return ids, self._now(doc)

    def faults_now(self) -> FaultsNow:
        return self._now(self._call("GET", "faults"))

    def journal(self) -> list[FaultRecord]:
        """Every fault of the run: when it was applied and rolled back, calls affected."""
        doc = self._call("GET", "metrics?since=" + str(2**40))  # no seconds, just the journals
        try:
            return GovernorMetrics.model_validate(doc).faults
        except ValidationError as exc:
            raise EnvironmentProblem(f"governor metrics: not a metrics document: {exc}") from None
