"""The history store interface (SQLite and S3 implement it) and run-reference resolution."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from scaling_lab.errors import InputError
from scaling_lab.result.models import RunResult
from scaling_lab.store.records import Baseline, RunRecord

__all__ = ["HistoryStore", "parse_stored", "pick_record"]


def parse_stored(text: str, run_id: str, location: str) -> RunResult:
    """A stored result, or InputError when it no longer fits the current schema."""
    from pydantic import ValidationError

    try:
        return RunResult.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(
            f"run {run_id!r} in the history at {location} no longer fits the result schema "
            f"({exc.error_count()} problem(s), first: {where}: {first.get('msg')})"
        ) from None


class HistoryStore(ABC):
    """Run history: every result with its provenance, plus one baseline per scenario and kind."""

    location: str

    @abstractmethod
    def record(self, result: RunResult) -> RunRecord:
        """Store ``result`` (replacing a run with the same id) and return its record."""

    @abstractmethod
    def runs(
        self, *, scenario: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[RunRecord]:
        """Stored runs, newest first."""

    @abstractmethod
    def load(self, run_id: str) -> RunResult:
        """The full result of a stored run (exact id)."""

    @abstractmethod
    def set_baseline(self, run_id: str) -> Baseline:
        """Make a stored run the baseline of its scenario and kind."""

    @abstractmethod
    def baselines(self) -> list[Baseline]:
        """Every baseline, by scenario then kind."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (no-op by default)."""

    # -- shared helpers ------------------------------------------------------------------------
    def baseline_for(self, scenario: str, kind: str) -> Baseline | None:
        for b in self.baselines():
            if b.scenario == scenario and b.kind == kind:
                return b
        return None

    def find(self, ref: str) -> RunRecord:
        """A stored run by exact id, unique id prefix or fragment, or ``latest``:
        ``latest[:scenario[:kind]]`` is the newest *observed* run (of the scenario) unless
        ``kind`` says ``predicted`` or ``any``."""
        if ref == "latest" or ref.startswith("latest:"):
            parts = ref.split(":")
            if len(parts) > 3:
                raise InputError(
                    f"{ref!r}: expected latest, latest:<scenario> or "
                    "latest:<scenario>:<observed|predicted|any>"
                )
            scenario = (parts[1] if len(parts) > 1 else "") or None
            kind = parts[2] if len(parts) > 2 else "observed"
            if kind not in ("observed", "predicted", "any"):
                raise InputError(f"{ref!r}: kind {kind!r}: expected observed, predicted or any")
            found = self.runs(scenario=scenario, kind=None if kind == "any" else kind, limit=1)
            if not found:
                where = f" of scenario {scenario!r}" if scenario else ""
                what = "run" if kind == "any" else f"{kind} run"
                hint = (
                    f" (latest:{scenario or ''}:any takes predictions too)"
                    if kind == "observed"
                    else ""
                )
                raise InputError(f"no {what}{where} in the history at {self.location}{hint}")
            return found[0]
        return pick_record(ref, self.runs(), self.location)

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def pick_record(ref: str, records: Sequence[RunRecord], location: str) -> RunRecord:
    for r in records:
        if r.run_id == ref:
            return r
    matches = [r for r in records if r.run_id.startswith(ref)] or [
        r for r in records if ref in r.run_id
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(f"run {ref!r}: no such file and no such run in the history at {location}")
    shown = ", ".join(r.run_id for r in matches[:5])
    raise InputError(f"run {ref!r} is ambiguous in the history ({len(matches)} runs: {shown} ...)")
