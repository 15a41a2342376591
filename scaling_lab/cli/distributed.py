"""``k6-operator`` (write a TestRun manifest) and ``collect`` (fold runners' samples into one
result): load beyond one machine, with exactly merged percentiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError

__all__ = ["register"]


def _k6_operator(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    target: Annotated[
        str,
        typer.Option("--target", help="the API's base URL", envvar="SCALING_LAB_TARGET"),
    ],
    parallelism: Annotated[
        int,
        typer.Option(
            "--parallelism",
            help="runner pods (k6 execution segments)",
            envvar="SCALING_LAB_PARALLELISM",
            min=1,
            max=64,
        ),
    ] = 4,
    scale: Annotated[
        float,
        typer.Option(
            "--scale", help="multiply every rate", envvar="SCALING_LAB_SCALE", min=1e-6, max=1000
        ),
    ] = 1.0,
    system: Annotated[
        str | None,
        typer.Option(
            "--system", help="system file (default: the scenario's)", envvar="SCALING_LAB_SYSTEM"
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="TestRun name (default scaling-lab-<scenario>)",
            envvar="SCALING_LAB_NAME",
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", help="Kubernetes namespace", envvar="SCALING_LAB_NAMESPACE"),
    ] = (None),
    secret: Annotated[
        str,
        typer.Option(
            "--secret",
            help="Secret holding the API key (key 'api-key')",
            envvar="SCALING_LAB_SECRET",
        ),
    ] = "scaling-lab-api-key",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="write the manifest here (default: stdout)",
            envvar="SCALING_LAB_OUTPUT",
        ),
    ] = None,
    allow_production: Annotated[
        bool,
        typer.Option(
            "--allow-production",
            help="allow a host that looks like production",
            envvar="SCALING_LAB_ALLOW_PRODUCTION",
        ),
    ] = False,
) -> int:
    """Write a k6-operator TestRun (and its script ConfigMap) for a scenario."""
    from scaling_lab.load.operator import testrun_manifest, testrun_yaml
    from scaling_lab.load.plan import check_plan
    from scaling_lab.load.runner import prepare
    from scaling_lab.result.builder import new_run_id
    from scaling_lab.result.models import ResultKind
    from scaling_lab.scenario.loader import find_scenario, load_scenario
    from scaling_lab.system import load_system

    path = find_scenario(scenario)
    sc = load_scenario(path)
    sysconf = load_system(system or sc.system, relative_to=path)
    if target == "local":
        raise InputError("--target: a k6-operator TestRun needs the API's URL, not 'local'")
    scaled, _, plan, script = prepare(sc, sysconf, target=target, scale=scale)
    check_plan(plan, confirmed=True, allow_production=allow_production)
    run_id = new_run_id(scaled.name, ResultKind.OBSERVED)
    try:
        objects = testrun_manifest(
            scaled,
            script,
            target=plan.target,
            parallelism=parallelism,
            run_id=run_id,
            name=name,
            namespace=namespace,
            secret=secret,
        )
    except ValueError as exc:
        raise InputError(f"k6-operator: {exc}") from None
    text = testrun_yaml(objects)
    if output is None:
        out.print(text, markup=False, highlight=False, end="")
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    run_name = objects[1]["metadata"]["name"]
    err.print(
        f"apply: kubectl create secret generic {secret} --from-literal=api-key=...; "
        f"kubectl apply -f {output or 'testrun.yaml'}"
    )
    err.print(
        f"collect: for i in $(seq 1 {parallelism}); do kubectl logs job/{run_name}-$i "
        f"> runner-$i.csv; done; scaling-lab collect {scenario} runner-*.csv "
        f"--target {plan.target} --scale {scale:g}"
    )
    return ExitCode.OK


def _collect(
    scenario: Annotated[str, typer.Argument(help="scenario name or file the runners ran")],
    files: Annotated[
        list[Path], typer.Argument(help="one k6 CSV sample file per runner (plain or .gz)")
    ],
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="the URL the runners loaded (for the record)",
            envvar="SCALING_LAB_TARGET",
        ),
    ] = "unknown",
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            help="the scale the runners ran at",
            min=1e-6,
            max=1000,
            envvar="SCALING_LAB_SCALE",
        ),
    ] = 1.0,
    system: Annotated[
        str | None, typer.Option("--system", help="system file", envvar="SCALING_LAB_SYSTEM")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="folder for <run_id>.json", envvar="SCALING_LAB_OUT")
    ] = Path("runs"),
) -> int:
    """Fold k6 runners' samples into one result (exact merged percentiles); exit 99 if its
    thresholds fail."""
    from scaling_lab.load.segments import collect_result
    from scaling_lab.report.terminal import render_summary
    from scaling_lab.result.io import save_result
    from scaling_lab.scenario.loader import find_scenario, load_scenario
    from scaling_lab.system import load_system

    path = find_scenario(scenario)
    sc = load_scenario(path)
    sysconf = load_system(system or sc.system, relative_to=path)
    result = collect_result(sc, sysconf, files, target=target, scale=scale)
    dest = out_dir / f"{result.run_id}.json"
    save_result(result, dest)
    out.print(render_summary(result))
    for note in result.provenance.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    out.print(f"result: {dest}")
    if result.summary.thresholds_passed is False:
        err.print("[red]thresholds failed[/red]")
        return ExitCode.THRESHOLDS_FAILED
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("k6-operator")(_k6_operator)
    app.command("collect")(_collect)
