"""What a run will send and where, and the safety rules that decide whether it may start."""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from scaling_lab.errors import InputError
from scaling_lab.scenario.models import Endpoint, Scenario

__all__ = [
    "API_KEY_ENV",
    "LOCAL",
    "LoadPlan",
    "authorize",
    "check_plan",
    "is_loopback_host",
    "looks_like_production",
    "make_plan",
    "normalize_target",
    "url_api_key",
]

LOCAL = "local"
_PRODUCTION_MARKER = "prod"
#: Where a URL run's API key comes from when --api-key is not given.
API_KEY_ENV = "SCALING_LAB_API_KEY"


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; nothing else counts as loopback."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def looks_like_production(host: str) -> bool:
    """A host whose name contains ``prod`` (prod, production, api-prod...) counts as production."""
    return _PRODUCTION_MARKER in host.lower()


def normalize_target(target: str) -> str:
    """``local`` or an http(s) base URL without credentials, query or trailing slash."""
    if target == LOCAL:
        return LOCAL
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"--target {target!r}: expected 'local' or an http(s) URL such as "
            "https://abc123.lambda-url.us-east-1.on.aws"
        )
    if parts.username or parts.password:
        raise InputError(
            "--target: put credentials in --api-key / SCALING_LAB_API_KEY, not the URL"
        )
    if parts.query or parts.fragment:
        raise InputError(f"--target {target!r}: a base URL takes no query or fragment")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise InputError(f"--target {target!r}: the port must be 1..65535")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class LoadPlan:
    """The load a scenario (already scaled) will offer to a target."""

    scenario: str
    target: str  # "local" or a normalized URL
    host: str
    loopback: bool
    production: bool
    scale: float
    duration_s: float
    peak_rate_per_s: float
    total_requests: int
    peak_rate_by_endpoint: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        eps = ", ".join(f"{k} {v:,.1f}/s" for k, v in self.peak_rate_by_endpoint.items())
        return [
            f"scenario     {self.scenario} (scale {self.scale:g})",
            f"target       {self.target}" + ("" if self.loopback else "  [not loopback]"),
            f"peak rate    {self.peak_rate_per_s:,.1f} req/s ({eps})",
            f"duration     {self.duration_s:,.0f} s",
            f"requests     {self.total_requests:,} (expected)",
        ]


def make_plan(scenario: Scenario, target: str) -> LoadPlan:
    """The plan of ``scenario`` (rates already multiplied by its scale) against ``target``."""
    target = normalize_target(target)
    host = "127.0.0.1" if target == LOCAL else (urlsplit(target).hostname or "")
    fractions = scenario.mix.fractions()
    return LoadPlan(
        scenario=scenario.name,
        target=target,
        host=host,
        loopback=is_loopback_host(host),
        production=looks_like_production(host),
        scale=scenario.scale,
        duration_s=scenario.duration_s,
        peak_rate_per_s=scenario.peak_rate,
        total_requests=math.ceil(scenario.total_requests()),
        peak_rate_by_endpoint={
            Endpoint(ep).value: scenario.peak_rate * share for ep, share in fractions.items()
        },
    )


def check_plan(
    plan: LoadPlan,
    *,
    max_rate: float | None = None,
    confirmed: bool = False,
    allow_production: bool = False,
) -> None:
    """Raise InputError when the plan may not start; all problems are named at once."""
    problems: list[str] = []
    if plan.production and not allow_production:
        problems.append(
            f"{plan.host} looks like production ('{_PRODUCTION_MARKER}' in the host); "
            "refusing without --allow-production"
        )
    if max_rate is not None and not (math.isfinite(max_rate) and max_rate > 0):
        raise InputError(f"--max-rate: expected a positive number of req/s, got {max_rate:g}")
    if max_rate is not None and plan.peak_rate_per_s > max_rate:
        fit = max_rate / plan.peak_rate_per_s * plan.scale
        problems.append(
            f"peak rate {plan.peak_rate_per_s:,.1f} req/s exceeds --max-rate {max_rate:,.1f}; "
            f"lower it with --scale {math.floor(fit * 1000) / 1000:g} or raise --max-rate"
        )
    if not plan.loopback and not confirmed:
        problems.append(
            f"{plan.target} is not a loopback address; review the plan and pass --yes to send it"
        )
    if problems:
        raise InputError("; ".join(problems))


def authorize(
    plan: LoadPlan,
    *,
    api_key: str | None,
    max_rate: float | None = None,
    yes: bool = False,
    interactive: bool = False,
    allow_production: bool = False,
    preflight: bool = True,
    confirm: Callable[[str], bool] | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> str:
    """Everything that can refuse a URL run, before any load: the plan (production, max rate,
    loopback or confirmed), the API key (argument or $SCALING_LAB_API_KEY), the target itself
    (pre-flight: DNS, TCP, one authenticated GET, reported with ``report``), and only then the
    user's confirmation (``confirm``, when interactive and not ``yes``), so a "yes" is never
    followed by a refusal. Returns the API key to use."""
    check_plan(
        plan, max_rate=max_rate, confirmed=yes or interactive, allow_production=allow_production
    )
    key = url_api_key(plan.target, api_key)
    if preflight:
        from scaling_lab.load.preflight import preflight as check_target

        report(check_target(plan.target, key).line())
    asks = not plan.loopback and not yes and interactive and confirm is not None
    if asks and confirm is not None and not confirm(f"Send this load to {plan.target}?"):
        raise InputError("not confirmed; nothing sent")
    return key


def url_api_key(target: str, api_key: str | None) -> str:
    """The API key for a URL target: the argument, else $SCALING_LAB_API_KEY."""
    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise InputError(f"--target {target}: needs --api-key or ${API_KEY_ENV}")
    return key
