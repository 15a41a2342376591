"""The chaos-experiment section of a report, from a chaos run folder (``journal.json`` and the
load's RunResult next to it): the experiment's status, the hypothesis verdicts per phase and
probe, and a timeline of the faults over the per-second latency, errors and throttles.

The journal is read as the JSON Chaos Toolkit's shape gives it (the report does not depend on
the chaos package: any journal with those keys renders)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from scaling_lab.errors import InputError
from scaling_lab.jsontypes import JsonObject, parse_json
from scaling_lab.report.document import Block, Bullets, Figure, Para, Section, Table
from scaling_lab.result.models import RunResult

__all__ = [
    "ChaosRun",
    "chaos_section",
    "find_chaos_run",
    "load_chaos_run",
    "probe_runs",
    "read_journal",
]

JOURNAL = "journal.json"


@dataclass(frozen=True)
class ChaosRun:
    folder: Path
    journal: JsonObject
    result_path: Path


def find_chaos_run(ref: str) -> Path | None:
    """The chaos run folder ``ref`` names (a folder holding journal.json, or that file)."""
    p = Path(ref)
    if p.is_dir() and (p / JOURNAL).is_file():
        return p
    if p.is_file() and p.name == JOURNAL:
        return p.parent
    return None


def read_journal(path: Path) -> JsonObject:
    """A journal file, or the journal.json in a run folder; one-line errors otherwise."""
    p = path / JOURNAL if path.is_dir() else path
    try:
        data = parse_json(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such journal (a journal.json or its run folder)") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{p}: not a readable journal ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("steady_states"), dict):
        raise InputError(f"{p}: steady_states: missing; not a chaos journal")
    return data


def probe_runs(journal: JsonObject) -> list[tuple[JsonObject, JsonObject]]:
    """(activity, output) of every hypothesis probe run in the journal's steady states, in
    phase order (before, during each fault, after)."""
    ss = journal["steady_states"]
    assert isinstance(ss, dict)
    during = ss.get("during")
    states = [ss.get("before"), *(during if isinstance(during, list) else []), ss.get("after")]
    out: list[tuple[JsonObject, JsonObject]] = []
    for state in states:
        probes = state.get("probes") if isinstance(state, dict) else None
        for run in probes if isinstance(probes, list) else []:
            if not isinstance(run, dict):
                continue
            act, output = run.get("activity"), run.get("output")
            if isinstance(act, dict) and isinstance(output, dict):
                out.append((act, output))
    return out


def load_chaos_run(folder: Path) -> ChaosRun:
    """Read the journal and find the RunResult beside it; one-line errors otherwise."""
    data = read_journal(folder)
    results = sorted(p for p in folder.glob("*.json") if p.name != JOURNAL)
    if len(results) != 1:
        raise InputError(
            f"{folder}: expected the load's RunResult beside {JOURNAL}, found {len(results)} "
            "other JSON file(s)"
        )
    return ChaosRun(folder, data, results[0])


def _s(v: object) -> str:
    return "-" if v is None else str(v)


def _value(v: object) -> str:
    if isinstance(v, dict):
        mean, low, high = v.get("mean"), v.get("low"), v.get("high")
        if isinstance(mean, int | float):
            if isinstance(low, int | float) and isinstance(high, int | float) and low != high:
                return f"{mean:,.4g} ({low:,.4g} .. {high:,.4g})"
            return f"{mean:,.4g}"
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f"{v:,.4g}"
    return "-"


def _rows(journal: JsonObject) -> list[list[str]]:
    rows = []
    for act, out in probe_runs(journal):
        verdict = _s(out.get("verdict"))
        if verdict == "deviated":
            verdict = f"**deviated** {_s(out.get('deviated_in'))}/{_s(out.get('reached_in'))}"
        rows.append(
            [
                _s(out.get("phase")),
                _s(act.get("name")),
                f"`{_s(act.get('tolerance'))}`",
                verdict,
                _value(out.get("value")),
                _value(out.get("first_deviation_s")),
            ]
        )
    return rows


def _timeline_png(result: RunResult) -> bytes:
    """p95 per second, and errors and throttles per second, with the fault windows shaded."""
    t = [s.t_s for s in result.series]
    p95 = [
        s.latency_ms.p95 if s.latency_ms.p95 is not None else float("nan") for s in result.series
    ]
    errors = [s.errors.total if s.errors is not None else 0 for s in result.series]
    thr = [s.lambda_throttles or 0 for s in result.series]
    ddb = [s.ddb_throttled or 0 for s in result.series]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 5))
    top.plot(t, p95, color="#1f77b4", lw=1)
    top.set_ylabel("p95 ms")
    bottom.plot(t, errors, color="#d62728", lw=1, label="errors")
    bottom.plot(t, thr, color="#ff7f0e", lw=1, label="Lambda throttles")
    bottom.plot(t, ddb, color="#9467bd", lw=1, label="DynamoDB throttled")
    bottom.set_ylabel("per second")
    bottom.set_xlabel("s")
    bottom.legend(loc="upper right", fontsize=8)
    for f in result.faults:
        for ax in (top, bottom):
            ax.axvspan(f.at_s, f.at_s + f.duration_s, color="#f4a582", alpha=0.3, lw=0)
        top.annotate(
            f.kind.value, (f.at_s, 1.0), xycoords=("data", "axes fraction"), fontsize=7, va="bottom"
        )
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def chaos_section(
    run: ChaosRun, result: RunResult, *, prefix: str = "chaos"
) -> tuple[Section, dict[str, bytes]]:
    """The section of one chaos run and its timeline plot (``<prefix>-timeline``)."""
    j = run.journal
    exp = j.get("experiment")
    title = exp.get("title") if isinstance(exp, dict) else None
    extra = j.get("scaling_lab")
    target = extra.get("target") if isinstance(extra, dict) else None
    status = _s(j.get("status"))
    blocks: list[Block] = [
        Para(
            f"Experiment **{_s(title)}** (`{run.folder.name}`), target `{_s(target)}`: status "
            f"**{status}**, deviated: {str(j.get('deviated')).lower()}. Each phase is judged on "
            "the load's per-second series (before the first fault, during each, after the "
            "last); a deviated verdict counts the replications that broke the tolerance."
        ),
        Table(
            ["phase", "probe", "tolerance", "verdict", "value", "first deviation s"],
            _rows(j),
            frozenset({4, 5}),
        ),
        Figure(
            f"{prefix}-timeline",
            "Faults over the load",
            "p95 latency per second (top), errors, Lambda throttles and throttled DynamoDB "
            "attempts per second (bottom); each fault's window shaded and named.",
        ),
    ]
    faults = [
        f"`{f.kind.value}` on {f.target} from {f.at_s:g} s for {f.duration_s:g} s"
        for f in result.faults
    ]
    if faults:
        blocks.append(Bullets(faults))
    section = Section(f"Chaos experiment: {_s(title)}", blocks, f"{prefix}-{run.folder.name}")
    return section, {f"{prefix}-timeline": _timeline_png(result)}
