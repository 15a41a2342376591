"""PERFORMANCE_BASELINE: build the report Document of one run (plus, optionally, the other kind
of run for predicted vs observed) in the load-testing story's structure."""

from __future__ import annotations

from collections.abc import Sequence

from scaling_lab.cost import PRICE_TABLE, CostEstimate, estimate_cost
from scaling_lab.formatting import fmt_utc
from scaling_lab.report.analysis import (
    EndpointTargets,
    Limit,
    Saturation,
    Utilisation,
    endpoint_targets,
    find_saturations,
    utilisation,
)
from scaling_lab.report.document import (
    NOT_OBSERVED,
    Block,
    Bullets,
    Document,
    Figure,
    KeyFigure,
    Para,
    Section,
    Table,
    status_word,
)
from scaling_lab.report.plots import make_plots
from scaling_lab.result.models import ResultKind, RunResult

__all__ = ["build_document", "pick_primary"]

NO = NOT_OBSERVED


def ms(v: float | None) -> str:
    if v is None:
        return NO
    return f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms"


def pct(v: float | None, digits: int = 2) -> str:
    return NO if v is None else f"{v:.{digits}%}"


def num(v: float | None, digits: int = 0, unit: str = "") -> str:
    return NO if v is None else f"{v:,.{digits}f}{unit}"


def figure(v: float | None) -> str:
    """A plain figure: thousands separated, no exponent."""
    if v is None:
        return NO
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.4g}"


def usd(v: float | None) -> str:
    if v is None:
        return NO
    return f"${v:,.4f}" if v < 1 else f"${v:,.2f}"


def pick_primary(results: Sequence[RunResult]) -> tuple[RunResult, RunResult | None]:
    """The run the report is about (the first observed one, else the first) and the first run
    of the other kind, for predicted vs observed."""
    primary = next((r for r in results if r.kind is ResultKind.OBSERVED), results[0])
    other = next((r for r in results if r.kind is not primary.kind), None)
    return primary, other


def _latency_section(rows: list[EndpointTargets]) -> Section:
    table = []
    for r in rows:
        for key in ("p50", "p95", "p99", "max"):
            if key not in r.figures and key not in r.targets:
                continue
            table.append(
                [
                    r.endpoint,
                    key,
                    ms(r.figures.get(key)),
                    r.targets.get(key, "-"),
                    status_word(r.status[key]) if key in r.status else "-",
                ]
            )
    blocks: list[Block] = [
        Para(
            "Latency from HDR histograms of every response (any status). "
            "Targets are the scenario's k6 thresholds."
        )
    ]
    blocks.append(
        Table(["endpoint", "figure", "observed", "target", "status"], table, frozenset({2}))
    )
    counts = [[r.endpoint, num(r.requests)] for r in rows if r.endpoint != "all"]
    if counts:
        blocks.append(Table(["endpoint", "requests"], counts, frozenset({1})))
    return Section("Latency", blocks, "latency")


def _throughput_section(result: RunResult) -> Section:
    s = result.summary
    active = [x for x in result.series if x.completed]
    duration = result.scenario.duration_s
    rows = [
        ["requests offered", num(s.offered)],
        ["responses", num(s.requests)],
        ["successful responses per second (mean over the run)", num(s.throughput_per_s, 1)],
        ["successful responses in the busiest second", num(s.peak_throughput_per_s)],
        ["scenario peak arrival rate", num(result.scenario.peak_rate, 0, " req/s")],
        ["seconds with responses", f"{len(active)} of {duration:.0f}"],
        ["iterations dropped by the load generator", num(s.dropped_iterations)],
    ]
    blocks: list[Block] = [Table(["figure", "value"], rows, frozenset({1}))]
    if s.dropped_iterations:
        blocks.append(
            Para(
                f"**The load generator dropped {s.dropped_iterations:,} iterations**: "
                "it could not keep the arrival rate, so the system saw less load than "
                "the scenario asks for."
            )
        )
    return Section("Throughput", blocks, "throughput")


def _errors_section(result: RunResult, rows: list[EndpointTargets]) -> Section:
    s = result.summary
    e = s.errors
    table = [
        [
            "all",
            num(s.requests),
            num(e.throttled),
            num(e.server),
            num(e.timeout),
            num(e.client),
            pct(s.error_rate, 3),
        ]
    ]
    for name, ep in s.endpoints.items():
        x = ep.errors
        table.append(
            [
                name,
                num(ep.requests),
                num(x.throttled),
                num(x.server),
                num(x.timeout),
                num(x.client),
                pct(ep.error_rate, 3),
            ]
        )
    blocks: list[Block] = [
        Table(
            ["endpoint", "responses", "429 throttled", "5xx", "timeouts", "4xx", "error rate"],
            table,
            frozenset(range(1, 7)),
        )
    ]
    targets = [
        [
            r.endpoint,
            r.targets["error_rate"],
            pct(r.figures.get("error_rate"), 3),
            status_word(r.status.get("error_rate")),
        ]
        for r in rows
        if "error_rate" in r.targets
    ]
    if targets:
        blocks.append(Table(["endpoint", "target", "observed", "status"], targets))
    if s.throttles_by_cause:
        blocks.append(
            Para(
                "Throttles by cause: "
                + ", ".join(f"{k} {v:,}" for k, v in s.throttles_by_cause.items())
                + "."
            )
        )
    return Section("Error responses", blocks, "errors")


def _utilisation_section(result: RunResult, util: list[Utilisation]) -> Section:
    s = result.summary
    rows = [
        [
            u.name,
            num(u.peak, 0, f" {u.unit}"),
            "-" if u.capacity is None and u.peak is not None else num(u.capacity, 0, f" {u.unit}"),
            "-" if u.capacity is None and u.peak is not None else pct(u.peak_pct, 1),
            u.note,
        ]
        for u in util
    ]
    rows.append(
        ["cold starts", num(s.cold_starts), "-", pct(s.cold_start_fraction), "share of invocations"]
    )
    rows.append(["DynamoDB throttled requests", num(s.ddb_throttled), "-", "-", ""])
    return Section(
        "Resource utilisation",
        [
            Table(
                ["resource", "peak", "capacity", "peak / capacity", "note"],
                rows,
                frozenset({1, 2, 3}),
            )
        ],
        "utilisation",
    )


def _bottleneck_section(result: RunResult, sats: list[Saturation]) -> Section:
    spike = result.scenario.spike_start_s()

    def when(t: int) -> str:
        if spike is None:
            return f"t = {t} s"
        d = t - spike
        return f"t = {t} s (spike {d:+.0f} s)"

    hard = [s for s in sats if s.hard]
    blocks: list[Block] = []
    if not hard:
        blocks.append(
            Para(
                "**No capacity limit saturated**: Lambda stayed below its concurrency cap, nothing "
                "was throttled and DynamoDB never consumed more than it had provisioned (figures "
                "that were not observed cannot be judged)."
            )
        )
    else:
        first = hard[0]
        same = [x for x in hard if x.first_s == first.first_s]
        rest = [x for x in hard if x.first_s != first.first_s]
        if len(same) == 1:
            text = (
                f"**The first limit to saturate was {first.limit}, at {when(first.first_s)}**, "
                f"for {first.seconds} s (until t = {first.last_s} s): {first.detail}."
            )
        else:
            names = ", ".join(x.limit for x in same[:-1]) + f" and {same[-1].limit}"
            text = (
                f"**The first limits to saturate, in the same second, {when(first.first_s)}, "
                f"were {names}**: " + "; ".join(f"{x.limit} for {x.seconds} s" for x in same) + "."
            )
        if rest:
            text += " Then: " + "; ".join(f"{x.limit} at {when(x.first_s)}" for x in rest) + "."
        blocks.append(Para(text))
    signals = [s for s in sats if not s.hard]
    if signals:
        blocks.append(
            Para(
                "Signals (not limits): "
                + "; ".join(f"{s.limit} from {when(s.first_s)} for {s.seconds} s" for s in signals)
                + "."
            )
        )
    if sats:
        rows = [
            [
                s.limit,
                "limit" if s.hard else "signal",
                when(s.first_s),
                f"{s.last_s} s",
                f"{s.seconds} s",
                s.peak_text,
                s.detail,
            ]
            for s in sats
        ]
        blocks.append(
            Table(
                ["what", "kind", "first reached", "last", "seconds", "peak", "what it means"],
                rows,
                frozenset({4, 5}),
            )
        )
    return Section("Bottleneck analysis", blocks, "bottlenecks")


def _cost_section(cost: CostEstimate) -> Section:
    def unit_price(v: float, unit: str) -> str:
        return f"${v * 1e6:,.4g} per 1M {unit}s" if 0 < v < 0.001 else f"${v:.5g} per {unit}"

    rows = [
        [
            ln.service,
            ln.item,
            num(ln.quantity, 2 if ln.quantity < 100 else 0),
            ln.unit,
            unit_price(ln.unit_usd, ln.unit),
            usd(ln.usd),
            ln.basis,
            ln.note,
        ]
        for ln in cost.lines
    ]
    rows.append(["total", "", "", "", "", usd(cost.total_usd), "", ""])
    per_m = cost.per_million_events_usd
    blocks: list[Block] = [
        Para(
            f"**Cost per 1M events: {usd(per_m)}** ({cost.events:,} events accepted; this run "
            f"would cost {usd(cost.total_usd)} at {cost.region} list prices, price table "
            f"{cost.price_version} taken on {PRICE_TABLE.taken_on})."
        ),
        Table(
            ["service", "item", "quantity", "unit", "unit price", "cost", "basis", "note"],
            rows,
            frozenset({2, 4, 5}),
        ),
        Table(
            ["service", "per 1M events"],
            [
                [svc, usd(None if not cost.events else v / cost.events * 1e6)]
                for svc, v in cost.by_service().items()
            ],
            frozenset({1}),
        ),
    ]
    notes = list(cost.notes)
    sources = sorted({p.source for p in PRICE_TABLE.prices})
    notes.append("price sources: " + ", ".join(sources))
    blocks.append(Bullets(notes))
    return Section("Cost analysis", blocks, "cost")


def _targets_section(result: RunResult, cost: CostEstimate, rows: list[EndpointTargets]) -> Section:
    s = result.summary
    table = []
    for v in s.thresholds:
        table.append(
            [
                f"{v.endpoint} {v.expression}",
                NO
                if v.observed is None
                else (f"{v.observed:.4%}" if "rate" in v.expression else f"{v.observed:,.1f}"),
                status_word(v.passed),
            ]
        )
    if s.recovery is not None:
        r = s.recovery
        table.append(
            [
                f"recovery: {' & '.join(r.condition)} within {r.deadline_s:.0f} s of the spike",
                r.describe(),
                status_word(r.recovered),
            ]
        )
    throttled = s.errors.throttled
    table.append(["no throttling (429)", num(throttled), status_word(throttled == 0)])
    cs = s.cold_start_fraction
    table.append(
        [
            "cold starts < 5 % of invocations",
            pct(cs),
            status_word(None if cs is None else cs < 0.05),
        ]
    )
    peak = result.scenario.peak_rate
    table.append(
        [
            f"throughput at the scenario's peak ({peak:,.0f} req/s)",
            num(s.peak_throughput_per_s, 0, " ok/s in the busiest second"),
            status_word(
                None if s.peak_throughput_per_s is None else s.peak_throughput_per_s >= 0.99 * peak
            ),
        ]
    )
    verdict = s.thresholds_passed
    blocks: list[Block] = [Table(["target", "observed", "status"], table, frozenset({1}))]
    blocks.insert(0, Para(f"Scenario gate (k6 thresholds): **{status_word(verdict)}**."))
    return Section("Performance vs targets", blocks, "targets")


def _compare_section(primary: RunResult, other: RunResult) -> Section:
    from scaling_lab.compare import compare

    predicted, observed = (
        (other, primary) if primary.kind is ResultKind.OBSERVED else (primary, other)
    )
    cmp = compare(predicted, observed)
    rows = []
    for ln in cmp.lines:
        if ln.predicted is None and ln.observed is None:
            continue
        delta = "-" if ln.delta_rel is None else f"{ln.delta_rel:+.1%}"
        verdict = {"pass": "PASS", "fail": "FAIL", "n/a": NO}.get(ln.verdict.value, "info")
        rows.append(
            [
                ln.figure,
                ln.phase,
                figure(ln.predicted),
                figure(ln.observed),
                delta,
                verdict,
            ]
        )
    blocks: list[Block] = [
        Para(
            f"Predicted `{predicted.run_id}` (model, seed {predicted.provenance.seed}) against "
            f"observed `{observed.run_id}` ({observed.provenance.target}). Verdict: "
            f"**{'PASS' if cmp.passed else 'FAIL'}** ({len(cmp.failed)} figure(s) outside "
            "tolerance)."
        ),
        Table(
            ["figure", "phase", "predicted", "observed", "delta", "verdict"],
            rows,
            frozenset({2, 3, 4}),
        ),
    ]
    if cmp.notes:
        blocks.append(Bullets(cmp.notes))
    blocks.append(
        Figure(
            "predicted-vs-observed",
            "Predicted vs observed",
            "The model's prediction against the observed run.",
        )
    )
    return Section("Predicted vs observed", blocks, "predicted-vs-observed")


def _next_steps(
    result: RunResult, sats: list[Saturation], cost: CostEstimate, other: RunResult | None
) -> list[str]:
    s = result.summary
    system = result.effective_system()
    k = result.scenario.scale

    def full(x: float) -> str:  # the same figure at full scale, for scaled runs
        return "" if k == 1 else f" (x{k:g} scale: {x / k:,.0f} at full scale)"

    steps: list[str] = []
    failed = [
        f"`{v.endpoint} {v.expression}` (observed {figure(v.observed)})"
        for v in s.thresholds
        if v.passed is False and v.observed is not None
    ]
    if failed:
        steps.append("Failed thresholds: " + ", ".join(failed) + ".")
    for sat in sats:
        if sat.kind is Limit.LAMBDA_CONCURRENCY:
            steps.append(
                f"Lambda reached its concurrency cap ({system.lambda_.concurrency_cap:,}"
                f"{full(system.lambda_.concurrency_cap)})"
                ": raise reserved concurrency (and the account quota) or shorten the "
                "handler; every 1 ms saved frees capacity at this rate."
            )
        elif sat.kind in (Limit.DDB_WRITE_CAPACITY, Limit.DDB_THROTTLING):
            peak = max((x.ddb_consumed_wcu or 0.0 for x in result.series), default=0.0)
            cfg = system.dynamodb.write
            target = (
                cfg.auto_scaling.target_utilization_pct / 100.0
                if cfg is not None and cfg.auto_scaling
                else 0.7
            )
            steps.append(
                f"DynamoDB ran out of write capacity: peak consumption "
                f"{peak:,.0f} WCU/s; auto scaling needs minutes, so set its minimum to "
                f"at least {peak / target:,.0f} WCU{full(peak / target)} before a known "
                "spike, or use on-demand mode."
            )
        elif sat.kind is Limit.LOAD_GENERATOR:
            steps.append(
                "The load generator dropped iterations: rerun with `--scale` lower or "
                "on a larger machine before trusting the latency figures."
            )
    if s.recovery is not None and not s.recovery.recovered:
        steps.append(
            f"Recovery missed its {s.recovery.deadline_s:.0f} s deadline: see the "
            "bottleneck table for the limit that held latency up."
        )
    if s.cold_start_fraction is not None and s.cold_start_fraction >= 0.05:
        steps.append(
            f"Cold starts were {s.cold_start_fraction:.1%} of invocations: raise "
            f"provisioned concurrency above {system.lambda_.provisioned_concurrency}."
        )
    nulls = [
        name
        for name, v in (
            ("Lambda concurrency", s.max_lambda_concurrency),
            ("cold starts", s.cold_starts),
            ("DynamoDB capacity", s.max_ddb_provisioned_wcu),
            ("SQS depth", s.max_sqs_depth),
        )
        if v is None
    ]
    if nulls:
        steps.append(
            "Not observed in this run: " + ", ".join(nulls) + ". Collect them "
            "(CloudWatch via the local stack or staging) to judge those limits."
        )
    if other is None:
        kind = (
            "observe the same scenario (`scaling-lab run`)"
            if (result.kind is ResultKind.PREDICTED)
            else "predict it (`scaling-lab predict`)"
        )
        steps.append(f"Compare with the other side: {kind}, then report both runs together.")
    if not steps or s.thresholds_passed:
        steps.append(
            f"Record this run as the baseline (`scaling-lab baseline set "
            f"{result.run_id}`) and gate later runs with `scaling-lab regress`."
        )
    if cost.per_million_events_usd is not None:
        top = max(cost.by_service().items(), key=lambda kv: kv[1])
        steps.append(
            f"Cost: {top[0]} is the largest share "
            f"({top[1] / cost.total_usd:.0%} of {usd(cost.per_million_events_usd)} per "
            "1M events)."
        )
    return list(dict.fromkeys(steps))  # one step per cause, in order


def build_document(results: Sequence[RunResult], *, command: str | None = None) -> Document:
    """The report of ``results`` (see pick_primary); ``command`` is shown as how it was made."""
    if not results:
        raise ValueError("no results to report")
    primary, other = pick_primary(results)
    s, p = primary.summary, primary.provenance
    rows = endpoint_targets(primary)
    sats = find_saturations(primary)
    util = utilisation(primary)
    cost = estimate_cost(primary)
    plots = make_plots(primary, sats, other)

    post = s.endpoints.get("post_events")
    lead = post or next(iter(s.endpoints.values()), None)
    lead_name = "POST /v1/events" if post is not None else next(iter(s.endpoints), "all")
    recovery = s.recovery
    cards = [
        KeyFigure(
            "scenario gate",
            NO if s.thresholds_passed is None else ("passed" if s.thresholds_passed else "failed"),
            status_word(s.thresholds_passed),
        ),
        KeyFigure(f"p95 {lead_name}", ms(lead.latency_ms.p95 if lead else None)),
        KeyFigure(f"p99 {lead_name}", ms(lead.latency_ms.p99 if lead else None)),
        KeyFigure("error rate", pct(s.error_rate, 3)),
        KeyFigure("throughput (mean)", num(s.throughput_per_s, 0, " ok/s")),
        KeyFigure("busiest second", num(s.peak_throughput_per_s, 0, " ok/s")),
    ]
    if recovery is not None:
        cards.append(
            KeyFigure(
                "recovery after spike",
                recovery.describe(),
                status_word(recovery.recovered),
            )
        )
    cards.append(KeyFigure("cost per 1M events", usd(cost.per_million_events_usd)))
    hard = [x for x in sats if x.hard]
    cards.append(
        KeyFigure(
            "first limit reached", f"{hard[0].limit} at t = {hard[0].first_s} s" if hard else "none"
        )
    )

    what = (
        "predicted by the model"
        if primary.kind is ResultKind.PREDICTED
        else (f"observed against {p.target}" + (f" ({p.backend} backend)" if p.backend else ""))
    )
    subtitle = (
        f"Scenario `{primary.scenario.name}` on system `{primary.system.name}`, "
        f"{what}; run `{primary.run_id}`, started {fmt_utc(p.started_at)}."
    )
    prov_rows = [
        ["run", primary.run_id],
        ["kind", primary.kind.value],
        ["target", p.target],
        ["backend", p.backend or "-"],
        ["scale", f"x{p.scale:g}"],
        ["seed", "-" if p.seed is None else str(p.seed)],
        ["mode", p.mode or "-"],
        ["git", p.git_sha or "-"],
        ["started", fmt_utc(p.started_at, seconds=True)],
        ["partial", "yes" if p.partial else "no"],
        ["scenario", f"{primary.scenario.name}: {primary.scenario.description}"],
        ["system", f"{primary.system.name}: {primary.system.description}"],
        ["tools", ", ".join(f"{k} {v}" for k, v in sorted(p.tool_versions.items()))],
    ]
    summary_blocks: list[Block] = [cards]
    if command:
        summary_blocks.append(Para(f"Made with `{command}`."))
    if p.notes:
        summary_blocks.append(Bullets(list(p.notes)))
    sections = [
        Section("Summary", summary_blocks, "summary"),
        _latency_section(rows),
        _throughput_section(primary),
        _errors_section(primary, rows),
        _utilisation_section(primary, util),
        _bottleneck_section(primary, sats),
        _cost_section(cost),
        _targets_section(primary, cost, rows),
    ]
    if other is not None:
        sections.append(_compare_section(primary, other))
    sections.append(
        Section("Next steps", [Bullets(_next_steps(primary, sats, cost, other))], "next-steps")
    )
    sections.append(
        Section(
            "Plots",
            [
                Figure(pl.name, pl.title, pl.caption)
                for pl in plots
                if pl.name != "predicted-vs-observed"
            ],
            "plots",
        )
    )
    extra = [r for r in results if r is not primary and r is not other]
    if extra:
        sections.append(
            Section(
                "Other runs",
                [
                    Table(
                        ["run", "kind", "p95", "p99", "error rate", "ok/s"],
                        [
                            [
                                r.run_id,
                                r.kind.value,
                                ms(r.summary.latency_ms.p95),
                                ms(r.summary.latency_ms.p99),
                                pct(r.summary.error_rate, 3),
                                num(r.summary.throughput_per_s),
                            ]
                            for r in extra
                        ],
                        frozenset({2, 3, 4, 5}),
                    )
                ],
                "other-runs",
            )
        )
    sections.append(Section("Provenance", [Table(["", ""], prov_rows)], "provenance"))
    return Document(
        title=f"Performance baseline: {primary.scenario.name}",
        subtitle=subtitle,
        sections=sections,
        plots={pl.name: pl.png for pl in plots},
    )
