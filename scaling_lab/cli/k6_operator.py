"""``k6-operator``: a k6-operator TestRun manifest (and its script ConfigMap) for a scenario,
load beyond one machine; ``collect`` folds the runners' samples back into one result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.options import AllowProductionOpt, ForceOpt, SystemOpt, opt
from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, InputError

__all__ = ["register"]


def _k6_operator(
    scenario: Annotated[str, typer.Argument(help="scenario name or file")],
    target: Annotated[str, opt("--target", "the API's base URL")],
    parallelism: Annotated[
        int, opt("--parallelism", "runner pods (k6 execution segments)", min=1, max=64)
    ] = 4,
    scale: Annotated[float, opt("--scale", "multiply every rate", min=1e-6, max=1000)] = 1.0,
    system: SystemOpt = None,
    name: Annotated[str | None, opt("--name", "TestRun name (default scaling-lab-<scenario>)")] = (
        None
    ),
    namespace: Annotated[str | None, opt("--namespace", "Kubernetes namespace")] = None,
    secret: Annotated[str, opt("--secret", "Secret holding the API key (key 'api-key')")] = (
        "scaling-lab-api-key"
    ),
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="write the manifest here (default: stdout)",
            envvar="SCALING_LAB_OUTPUT",
        ),
    ] = None,
    allow_production: AllowProductionOpt = False,
    force: ForceOpt = False,
) -> int:
    """Write a k6-operator TestRun (and its script ConfigMap) for a scenario."""
    from scaling_lab.cli.paths import output_file
    from scaling_lab.inputs import load_inputs
    from scaling_lab.load.operator import MANAGED_BY, testrun_manifest, testrun_name, testrun_yaml
    from scaling_lab.load.plan import check_plan
    from scaling_lab.load.runner import prepare
    from scaling_lab.result.builder import new_run_id
    from scaling_lab.result.models import ResultKind

    if output is not None:
        output_file(output, "--output", force=force, written_by=MANAGED_BY)
    inputs = load_inputs(scenario, system)
    sc, sysconf = inputs.scenario, inputs.system
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
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    run_name = testrun_name(scaled.name, name)
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


def register(app: typer.Typer) -> None:
    app.command("k6-operator")(_k6_operator)
