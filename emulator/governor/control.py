"""The governor's control endpoints, served by the Lambda gate under ``/_governor/``.

``POST start`` (optional body ``{"faults": [...]}``) marks run time 0;
``GET metrics[?since=EPOCH_S]`` returns the per-second figures (docs/emulation.md);
``GET faults`` the run time and the faults active now; ``POST faults`` (body
``{"faults": [...], "from_now": true}``) adds faults to the running timeline (``from_now``:
``at`` counts from now); ``POST faults/clear`` ends every active fault now and cancels the
pending ones (a chaos experiment's rollback).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from scaling_lab.scenario.models import Fault

if TYPE_CHECKING:
    from emulator.governor.runtime import Governor

__all__ = ["handle_control"]


def handle_control(
    g: Governor, method: str, path: str, query: bytes, body: bytes
) -> tuple[int, Any]:
    """(status, JSON body) of a control request."""
    name = path[len(g.settings.control_prefix) :].strip("/")
    if name == "metrics" and method == "GET":
        qs = parse_qs(query.decode())
        since = int(qs["since"][0]) if qs.get("since", [""])[0].isdigit() else None
        return 200, g.snapshot(since).model_dump(mode="json")
    if name == "start" and method == "POST":
        faults = None
        if body.strip():
            try:
                data = json.loads(body)
                if isinstance(data, dict) and "faults" in data:
                    faults = [Fault.model_validate(f) for f in data["faults"]]
            except (ValueError, TypeError) as exc:
                return 400, {"error": "bad_request", "message": str(exc)[:300]}
        t0 = g.start(faults=faults)
        return 200, {"t0_epoch_s": t0, "faults": len(g.timeline.journal)}
    if name == "faults" and method == "GET":
        t, active = g.faults_now()
        return 200, {"run_time_s": t, "active": active, "faults": len(g.timeline.journal)}
    if name == "faults" and method == "POST":
        try:
            data = json.loads(body or b"{}")
            if not isinstance(data, dict) or not isinstance(data.get("faults"), list):
                raise ValueError('expected {"faults": [...]}')
            faults = [Fault.model_validate(f) for f in data["faults"]]
        except (ValueError, TypeError) as exc:
            return 400, {"error": "bad_request", "message": str(exc)[:300]}
        t = g.add_faults(faults, from_now=bool(data.get("from_now", False)))
        _, active = g.faults_now()
        return 200, {"run_time_s": t, "added": len(faults), "active": active}
    if name == "faults/clear" and method == "POST":
        cleared = g.clear_faults()
        t, active = g.faults_now()
        return 200, {"run_time_s": t, "cleared": cleared, "active": active}
    return 404, {"error": "not_found", "message": f"no control route {path}"}
