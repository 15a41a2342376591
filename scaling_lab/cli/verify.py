"""``verify``: predict -> run -> observe -> compare -> short report, in one command."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError
from scaling_lab.scenario.limits import MAX_SEED

__all__ = ["LOCAL_THROTTLED_CALL_MS", "for_target", "local_budget", "register", "resolve_scale"]

BUDGET_ENV = "SCALING_LAB_LOCAL_BUDGET"  # a peak rate in req/s; overrides the probe (tests, CI)


def local_budget(scale: str, target: str, backend: str) -> float:
    """The peak rate ``--scale auto`` fits a local run into: $SCALING_LAB_LOCAL_BUDGET, else
    HEADROOM x what this machine sustains (scaling_lab.load.probe; probed once a day)."""
    if scale != "auto" or target != "local":
        return 0.0  # unused: an explicit scale, or a remote target run as written
    from scaling_lab.load.probe import auto_budget, positive_rate, sustainable_rate

    setting = os.environ.get(BUDGET_ENV)
    if setting:
        return positive_rate(BUDGET_ENV, setting, "a rate > 0 in req/s")
    return auto_budget(sustainable_rate(backend=backend, console=err).sustainable_rate_per_s)


def resolve_scale(scale: str, peak_rate_per_s: float, budget_per_s: float) -> float:
    """``--scale``: a number, or ``auto`` = the largest k (<= 1) whose peak fits the budget."""
    if scale == "auto":
        if peak_rate_per_s <= 0:
            return 1.0
        k = min(1.0, budget_per_s / peak_rate_per_s)
        if k >= 1:
            return 1.0
        # Round down to 2 significant digits so runs are comparable across machines.
        step = 10 ** (math.floor(math.log10(k)) - 1)
        return float(max(math.floor(k / step + 1e-9) * step, 1e-4))
    try:
        k = float(scale)
    except ValueError:
        raise InputError(f"--scale: expected a number or 'auto', got {scale!r}") from None
    if not 0 < k <= 1000:
        raise InputError(f"--scale: must be > 0 and <= 1000, got {scale}")
    return k


# The local stack refuses a throttled DynamoDB call in botocore's before-send hook: nothing is
# sent, the SDK's sleep starts at once (emulator/governor/ddb.py).
LOCAL_THROTTLED_CALL_MS = 0.0


def for_target(system: Any, target: str) -> Any:
    """The system as the run's target serves it: locally a throttled call takes no round trip
    (unless the system file sets ``dynamodb.throttled_call_ms`` itself)."""
    if target != "local" or "throttled_call_ms" in system.dynamodb.model_fields_set:
        return system
    ddb = system.dynamodb.model_copy(update={"throttled_call_ms": LOCAL_THROTTLED_CALL_MS})
    return system.model_copy(update={"dynamodb": ddb})


def _verdict_table(predicted: Any, observed: Any, cmp: Any, first: Any, calibrated: str) -> Table:
    from scaling_lab.report.terminal import fmt_ms, verdict_text

    t = Table(title="Verdict", title_justify="left", show_edge=False)
    for col in ("check", "predicted", "observed", "agree"):
        t.add_column(col)
    ps, os_ = predicted.summary, observed.summary

    def agree(figure: str, phase: str = "overall") -> Text:
        ln = cmp.line(figure, phase)
        if ln is None:
            return Text("")
        return Text(
            ln.verdict.value, style={"pass": "green", "fail": "red"}.get(ln.verdict.value, "dim")
        )

    if ps.recovery is not None or os_.recovery is not None:

        def rec(r: Any) -> Text:
            if r is None:
                return Text("n/a", style="dim")
            # short: "35 s" into the spike, "spike end +18 s" (not within it), or "never"
            if r.recovery_s is None:
                v = "never"
            elif r.spike_duration_s is not None and r.recovery_s >= r.spike_duration_s:
                v = f"spike end +{r.recovery_s - r.spike_duration_s:.0f} s"
            else:
                v = f"{r.recovery_s:.0f} s"
            return Text.assemble(f"{v} ", verdict_text(r.recovered))

        t.add_row(
            "recovery within deadline", rec(ps.recovery), rec(os_.recovery), agree("recovery_s")
        )
    for name in sorted(set(ps.endpoints) | set(os_.endpoints)):
        pe, oe = ps.endpoints.get(name), os_.endpoints.get(name)
        t.add_row(
            f"{name} p95",
            fmt_ms(pe.latency_ms.p95 if pe else None),
            fmt_ms(oe.latency_ms.p95 if oe else None),
            agree("p95", f"overall:{name}"),
        )
    t.add_row(
        "throttled (429)",
        f"{ps.errors.throttled:,}",
        f"{os_.errors.throttled:,}",
        agree("throttled"),
    )
    t.add_row(
        "thresholds",
        verdict_text(ps.thresholds_passed),
        verdict_text(os_.thresholds_passed),
        Text(""),
    )

    def word(c: Any) -> Text:
        return Text("PASS" if c.passed else "FAIL", style="bold green" if c.passed else "bold red")

    if cmp is first:
        t.add_row(f"model vs observation ({calibrated})", "", "", word(first))
    else:
        t.add_row("model vs observation, as given", "", "", word(first))
        t.add_row(f"model vs observation, {calibrated}", "", "", word(cmp))
    t.caption = cmp.describe()
    return t


def _verify(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    target: Annotated[
        str,
        typer.Option(
            "--target", help="'local' (default) or a staging URL", envvar="SCALING_LAB_TARGET"
        ),
    ] = "local",
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help="rate/capacity factor, or 'auto' (local default)",
            envvar="SCALING_LAB_SCALE",
        ),
    ] = "auto",
    system: Annotated[
        str | None,
        typer.Option(
            "--system", help="system file (default: the scenario's)", envvar="SCALING_LAB_SYSTEM"
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, max=MAX_SEED, envvar="SCALING_LAB_SEED")
    ] = None,
    runs: Annotated[
        int,
        typer.Option(
            "--runs",
            min=1,
            max=1000,
            help="model replications (seeds seed..seed+N-1): the observation is judged against "
            "their prediction interval; 1 = fixed tolerances",
            envvar="SCALING_LAB_RUNS",
        ),
    ] = 10,
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="parent folder of the run folder", envvar="SCALING_LAB_OUT"),
    ] = Path("runs"),
    backend: Annotated[
        str,
        typer.Option(
            "--backend", help="auto | embedded | localstack", envvar="SCALING_LAB_BACKEND"
        ),
    ] = "embedded",
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="staging API key (never stored)", envvar="SCALING_LAB_API_KEY"
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="confirm a non-loopback target", envvar="SCALING_LAB_YES")
    ] = False,
    tolerances: Annotated[
        Path | None, typer.Option("--tolerances", envvar="SCALING_LAB_TOLERANCES")
    ] = None,
    calibrate_pass: Annotated[
        bool | None,
        typer.Option(
            "--calibrate/--no-calibrate",
            help="after the first comparison, fit the model from the observed run's "
            "pre-spike phase, predict again and compare again (default: on for "
            "local targets)",
            envvar="SCALING_LAB_CALIBRATE",
        ),
    ] = None,
    gate_thresholds: Annotated[
        bool,
        typer.Option(
            "--gate-thresholds",
            help="also exit 99 when the observed run fails its thresholds",
            envvar="SCALING_LAB_GATE_THRESHOLDS",
        ),
    ] = False,
) -> int:
    """Predict a scenario, run it for real, compare the two and write a short report."""
    from scaling_lab.compare import (
        compare,
        comparison_markdown,
        comparison_table,
        load_tolerances,
        phases_of,
        plot_comparison,
    )
    from scaling_lab.load import run_load
    from scaling_lab.model import predict
    from scaling_lab.report.terminal import render_summary
    from scaling_lab.result.io import save_result
    from scaling_lab.scenario.loader import find_scenario, load_scenario, load_system
    from scaling_lab.scenario.models import ArrivalProcess

    tol = load_tolerances(tolerances)
    path = find_scenario(scenario)
    sc = load_scenario(path)
    sysconf = for_target(load_system(system or sc.system, relative_to=path), target)
    budget = local_budget(scale, target, backend)
    # 'auto' scales only local runs; staging runs the scenario as written unless told.
    remote_auto = target != "local" and scale == "auto"
    k = 1.0 if remote_auto else resolve_scale(scale, sc.peak_rate, budget)
    scaled = sc.scaled(k) if k != 1 else sc
    if seed is not None:
        scaled = scaled.model_copy(update={"seed": seed})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = out_dir / f"{stamp}-verify-{sc.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    err.print(
        f"[bold]verify[/bold] {sc.name}: peak {scaled.peak_rate:,.0f} req/s "
        f"(scale x{k:g} of {sc.peak_rate:,.0f}), {sc.duration_s:.0f} s, target {target}, "
        f"system {sysconf.name}; results in {run_dir}"
    )

    err.rule("1/4 predict")
    # k6's arrival-rate executors space arrivals evenly: predict that unless the scenario says
    arrivals = scaled.traffic.arrivals_or(ArrivalProcess.EVEN)
    predicted = predict(scaled, sysconf, seed=scaled.seed, arrivals=arrivals, runs=runs)
    save_result(predicted, run_dir / "predicted.json")
    err.print(render_summary(predicted))

    err.rule("2/4 run (k6)")
    run = run_load(
        scaled,
        sysconf,
        target=target,
        api_key=api_key,
        out_dir=run_dir,
        backend=backend,
        yes=yes,
    )
    # The runner already wrote the result into the run folder; give it the folder's name.
    run.path.replace(run_dir / "observed.json")
    observed = run.result
    err.print(render_summary(observed))

    err.rule("3/4 compare")
    cmp = compare(predicted, observed, tol)
    for note in cmp.notes:
        err.print(f"[yellow]note:[/yellow] {note}")
    if calibrate_pass is None:
        calibrate_pass = target == "local"
    first_cmp = cmp
    calibrated = "uncalibrated"
    fit_phase = phases_of(observed)[0]
    if calibrate_pass and fit_phase.name != "before":
        err.print(
            "[yellow]note:[/yellow] not calibrated: the scenario has no phase before its spike "
            "to fit on that the comparison would not also judge; the verdict is the "
            "uncalibrated model's"
        )
        calibrate_pass = False
    err.print(f"[bold]{'PASS' if cmp.passed else 'FAIL'}[/bold] model as given: {cmp.describe()}")
    if calibrate_pass:
        from scaling_lab.compare.calibrate import calibrate, write_system_file

        out.print(comparison_table(cmp, only_gated=True))
        cal = calibrate(observed, sysconf)
        write_system_file(cal, run_dir / "calibrated.yaml", f"run {observed.run_id}")
        for key, source in cal.fitted.items():
            err.print(f"[green]calibrated[/green] {key}: {source}")
        if cal.fitted:
            predicted = predict(scaled, cal.system, seed=scaled.seed, arrivals=arrivals, runs=runs)
            save_result(predicted, run_dir / "predicted-calibrated.json")
            # judged only where it was not fitted: service times come from the phase before
            # the spike, auto-scaling delays from the observed scale-out
            fitted_delays = any("auto_scaling" in key for key in cal.fitted)
            cmp = compare(
                predicted,
                observed,
                tol,
                exclude_phases=(fit_phase.name,),
                exclude_figures=("first_scale_out_s",) if fitted_delays else (),
            )
            calibrated = f"calibrated on the {fit_phase.name} phase"
            word = "PASS" if cmp.passed else "FAIL"
            err.print(f"[bold]{word}[/bold] {calibrated}: {cmp.describe()}")
        else:
            err.print("[yellow]note:[/yellow] nothing could be calibrated from this run")
    markdown = comparison_markdown(cmp)
    if cmp is not first_cmp:
        before = comparison_markdown(first_cmp).split("\n", 1)[1]
        markdown += "\n## Before calibration\n" + before
    (run_dir / "compare.md").write_text(markdown, encoding="utf-8")
    plots = plot_comparison(cmp, run_dir)
    out.print(comparison_table(cmp, only_gated=True))

    err.rule("4/4 report")
    _record_history(predicted, observed)
    verdict = {
        "scenario": sc.name,
        "scale": k,
        "target": target,
        "run_dir": str(run_dir),
        "predicted": predicted.run_id,
        "observed": observed.run_id,
        "model_agrees": cmp.passed,
        "model_agrees_before_calibration": first_cmp.passed,
        "calibrated": cmp is not first_cmp,
        "judged": cmp.describe(),
        "replications": runs,
        "arrivals": arrivals.value,
        "observed_thresholds_passed": observed.summary.thresholds_passed,
        "out_of_tolerance": [
            {
                "figure": ln.figure,
                "phase": ln.phase,
                "predicted": ln.predicted,
                "observed": ln.observed,
                "allowed": ln.allowed,
            }
            for ln in cmp.failed
        ],
        "out_of_tolerance_before_calibration": [
            {
                "figure": ln.figure,
                "phase": ln.phase,
                "predicted": ln.predicted,
                "observed": ln.observed,
                "allowed": ln.allowed,
            }
            for ln in first_cmp.failed
        ],
    }
    (run_dir / "verdict.json").write_text(json.dumps(verdict, indent=2), encoding="utf-8")
    out.print(_verdict_table(predicted, observed, cmp, first_cmp, calibrated))
    out.print(
        f"run folder: {run_dir}  (compare.md, "
        + ", ".join(p.name for p in plots)
        + ", predicted.json, observed.json)"
    )
    if not cmp.passed:
        return ExitCode.THRESHOLDS_FAILED
    if gate_thresholds and observed.summary.thresholds_passed is False:
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


def _record_history(*results: Any) -> None:
    """Record results in the run history when the store is available."""
    try:
        from scaling_lab.store import record_result
    except ImportError:
        return
    for r in results:
        record_result(r)


def register(app: typer.Typer) -> None:
    app.command("verify")(_verify)
