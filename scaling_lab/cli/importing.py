"""``import terraform``: write a system file from Terraform (HCL or ``terraform show -json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.options import ForceOpt
from scaling_lab.cli.output import err, out
from scaling_lab.errors import ExitCode, Problem, ValidationFailed

__all__ = ["register"]

HEADER = "# Imported by `scaling-lab import terraform` from"  # the first line of what it writes

import_app = typer.Typer(help="Write a system file from infrastructure code.", no_args_is_help=True)


@import_app.command("terraform")
def _terraform(
    source: Annotated[
        Path, typer.Argument(help="a directory of *.tf files or `terraform show -json` output")
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="system file to write", envvar="SCALING_LAB_OUTPUT"),
    ] = Path("system.yaml"),
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="system name (default: the output file's stem)",
            envvar="SCALING_LAB_NAME",
        ),
    ] = None,
    function: Annotated[
        str | None,
        typer.Option(
            "--function",
            help="the API's Lambda (when several and none has a URL)",
            envvar="SCALING_LAB_FUNCTION",
        ),
    ] = None,
    force: ForceOpt = False,
) -> int:
    """Read Lambda, front door, DynamoDB and auto scaling settings; unknown values are
    reported, not guessed (never written over a file it did not write without --force)."""
    import yaml
    from pydantic import ValidationError

    from scaling_lab.cli.paths import output_file
    from scaling_lab.importers import import_terraform
    from scaling_lab.system.models import SystemConfig

    output_file(output, "--output", force=force, written_by=HEADER, inputs=[("Terraform", source)])
    system_name = name or output.stem
    result = import_terraform(source, name=system_name, function=function)
    try:
        SystemConfig.model_validate(result.system)
    except ValidationError as exc:
        raise ValidationFailed(
            [
                Problem(str(source), ".".join(str(p) for p in e["loc"]), e["msg"])
                for e in exc.errors()
            ]
        ) from None
    header = [f"{HEADER} {source}."]
    header += ["# Fields not in Terraform keep the system model's defaults."]
    header += [f"# note: {n}" for n in result.notes]
    text = "\n".join(header) + "\n" + yaml.safe_dump(result.system, sort_keys=False)
    output.write_text(text, encoding="utf-8")
    for n in result.notes:
        err.print(f"[yellow]note:[/yellow] {n}", highlight=False)
    out.print(f"wrote {output}")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
