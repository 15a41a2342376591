"""``alarms``: CloudWatch alarms and a dashboard from a scenario's SLOs, as CloudFormation and
Terraform JSON, or created with ``--apply``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from scaling_lab.cli.options import CloudWatchEndpointOpt, FunctionNameOpt
from scaling_lab.cli.output import err, out
from scaling_lab.errors import EnvironmentProblem, ExitCode

__all__ = ["register"]


def _alarms(
    scenario: Annotated[str, typer.Argument(help="scenario name or file (its thresholds)")],
    system: Annotated[
        str | None,
        typer.Option(
            "--system", help="system file (default: the scenario's)", envvar="SCALING_LAB_SYSTEM"
        ),
    ] = None,
    function_name: FunctionNameOpt = "triggers-api",
    api_name: Annotated[
        str,
        typer.Option(
            "--api-name",
            help="API Gateway ApiName (api_gateway front door)",
            envvar="SCALING_LAB_API_NAME",
        ),
    ] = "triggers-api",
    stage: Annotated[
        str, typer.Option("--stage", help="API Gateway stage", envvar="SCALING_LAB_STAGE")
    ] = "staging",
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="alarm/dashboard name prefix", envvar="SCALING_LAB_PREFIX"),
    ] = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", help="folder for alarms.cfn.json and alarms.tf.json", envvar="SCALING_LAB_OUT"
        ),
    ] = Path("monitoring"),
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="also create them now with boto3 (PutMetricAlarm)",
            envvar="SCALING_LAB_APPLY",
        ),
    ] = False,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="AWS region (default: the system file's)", envvar="SCALING_LAB_REGION"
        ),
    ] = None,
    endpoint_url: CloudWatchEndpointOpt = None,
) -> int:
    """Write CloudWatch alarms and a dashboard for a scenario's SLOs; --apply creates them."""
    from scaling_lab.alarms import apply_plan, cloudformation, monitoring_plan, terraform_json
    from scaling_lab.cli.paths import writable_dir
    from scaling_lab.scenario.loader import find_scenario, load_scenario
    from scaling_lab.system import load_system

    writable_dir(out_dir, "--out")
    path = find_scenario(scenario)
    sc = load_scenario(path)
    sysconf = load_system(system or sc.system, relative_to=path)
    plan = monitoring_plan(
        sc, sysconf, function_name=function_name, api_name=api_name, stage=stage, prefix=prefix
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    cfn = out_dir / "alarms.cfn.json"
    tf = out_dir / "alarms.tf.json"
    cfn.write_text(json.dumps(cloudformation(plan), indent=2) + "\n", encoding="utf-8")
    tf.write_text(json.dumps(terraform_json(plan), indent=2) + "\n", encoding="utf-8")
    for a in plan.alarms:
        out.print(f"  {a.name}: {a.description}", highlight=False)
    out.print(f"wrote {cfn} and {tf} ({len(plan.alarms)} alarms, dashboard {plan.dashboard_name})")
    if apply:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            client = boto3.client(
                "cloudwatch", region_name=region or sysconf.region, endpoint_url=endpoint_url
            )
            names = apply_plan(plan, client)
        except NoCredentialsError:
            raise EnvironmentProblem(
                "alarms --apply: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
            ) from None
        except (BotoCoreError, ClientError) as exc:
            raise EnvironmentProblem(f"alarms --apply: CloudWatch: {exc}") from None
        err.print(f"created {len(names)} alarms and dashboard {plan.dashboard_name}")
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("alarms")(_alarms)
