"""Cost per 1M ingested events of a RunResult, from the price table (pure; no I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaling_lab.aws.prices import PRICE_TABLE, PriceTable
from scaling_lab.result.models import RunResult
from scaling_lab.result.series import sum_present
from scaling_lab.system.models import DynamoDBMode, FrontDoorKind

__all__ = ["CostEstimate", "CostLine", "estimate_cost"]


@dataclass(frozen=True)
class CostLine:
    service: str
    item: str
    quantity: float
    unit: str
    unit_usd: float
    basis: str  # "measured" (from the run's series) | "estimated" (from counts and the system file)
    note: str = ""

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd


@dataclass
class CostEstimate:
    events: int  # events accepted (successful POST /v1/events)
    duration_s: float
    lines: list[CostLine]
    price_version: str
    region: str
    system_region: str
    notes: list[str] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def per_million_events_usd(self) -> float | None:
        return None if self.events <= 0 else self.total_usd / self.events * 1e6

    def by_service(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            out[line.service] = out.get(line.service, 0.0) + line.usd
        return out


def estimate_cost(result: RunResult, prices: PriceTable = PRICE_TABLE) -> CostEstimate:
    """What the run would cost on AWS at list prices, and per 1M accepted events.

    Lambda duration is the run's mean latency per endpoint (an upper bound of the billed
    duration: it includes the front door and the network); provisioned DynamoDB capacity is
    charged pro rata for the seconds of the run, as provisioned second by second.
    """
    s = result.summary

    system = result.effective_system()  # as the run saw it (scaled by --scale)
    series = result.series
    lines: list[CostLine] = []
    notes: list[str] = []
    post = s.endpoints.get("post_events")
    events = 0 if post is None else post.requests - post.errors.total
    duration_s = max(float(len(series)), result.scenario.duration_s, 1.0)
    memory_gb = system.lambda_.memory_mb / 1024.0

    # -- front door -------------------------------------------------------------------------
    if system.front_door.kind is FrontDoorKind.API_GATEWAY:
        p = prices["apigw_rest_request"]
        lines.append(
            CostLine("API Gateway", "REST API requests", s.requests, p.unit, p.usd, "measured")
        )
    else:
        p = prices["function_url_request"]
        lines.append(
            CostLine(
                "Function URL",
                "requests",
                s.requests,
                p.unit,
                p.usd,
                "measured",
                "no charge of its own",
            )
        )

    # -- Lambda: API function -----------------------------------------------------------------
    throttled = s.errors.throttled
    invocations = sum_present([x.lambda_invocations for x in series])
    basis = "measured"
    if invocations is None:
        invocations = float(max(s.requests - throttled, 0))
        basis = "estimated"
    p = prices["lambda_request"]
    lines.append(
        CostLine(
            "Lambda",
            "API invocations",
            invocations,
            p.unit,
            p.usd,
            basis,
            "" if basis == "measured" else "responses other than 429",
        )
    )
    gb_s = 0.0
    for ep in s.endpoints.values():
        if ep.mean_ms is None:
            continue
        billed = max(ep.requests - ep.errors.throttled - ep.errors.timeout, 0)
        gb_s += billed * math.ceil(ep.mean_ms) / 1000.0 * memory_gb
    p = prices["lambda_gb_second"]
    lines.append(
        CostLine(
            "Lambda",
            f"API duration ({system.lambda_.memory_mb} MB)",
            gb_s,
            p.unit,
            p.usd,
            "estimated",
            "mean latency per endpoint as billed duration (an upper bound)",
        )
    )

    # -- Lambda: SQS delivery worker ------------------------------------------------------------
    consumer = system.sqs.consumer
    batches = math.ceil(events / consumer.batch_size) if events else 0
    lines.append(
        CostLine(
            "Lambda",
            "worker invocations (SQS batches)",
            batches,
            prices["lambda_request"].unit,
            prices["lambda_request"].usd,
            "estimated",
            f"batch size {consumer.batch_size}",
        )
    )
    worker_gb_s = batches * math.ceil(consumer.service_time_ms.mean_ms()) / 1000.0 * memory_gb
    lines.append(
        CostLine(
            "Lambda",
            "worker duration",
            worker_gb_s,
            p.unit,
            p.usd,
            "estimated",
            "system file's consumer service time per batch (assumption)",
        )
    )

    # -- DynamoDB ----------------------------------------------------------------------------
    ddb = system.dynamodb
    item_bytes = result.scenario.payload.mean_size_bytes + ddb.item_overhead_bytes
    indexed_writes = 1 + len(ddb.gsis)  # each GSI replicates the write
    if ddb.mode is DynamoDBMode.PROVISIONED:
        for unit, settings, key, label in (
            ("wcu", ddb.write, "ddb_wcu_hour", "write capacity"),
            ("rcu", ddb.read, "ddb_rcu_hour", "read capacity"),
        ):
            per_second = [getattr(x, f"ddb_provisioned_{unit}") for x in series]
            observed = sum_present(per_second)
            if observed is not None:
                # a second without a reading carries the last level (builder semantics)
                hours, basis = observed / 3600.0, "measured"
            else:
                level = settings.provisioned if settings is not None else 0.0
                hours, basis = level * duration_s / 3600.0, "estimated"
            p = prices[key]
            lines.append(
                CostLine(
                    "DynamoDB",
                    f"provisioned {label}",
                    hours,
                    p.unit,
                    p.usd,
                    basis,
                    "pro rata over the run"
                    + ("" if basis == "measured" else "; system file's level"),
                )
            )
        if ddb.gsis:
            notes.append("GSI provisioned capacity is not in the system file and is not priced")
    else:
        consumed_w = sum_present([x.ddb_consumed_wcu for x in series])
        if consumed_w is not None:
            wru, basis = consumed_w, "measured"
        else:
            acks = s.endpoints["ack"].requests if "ack" in s.endpoints else 0
            per_write = math.ceil(item_bytes / 1024.0)
            wru, basis = (events * per_write + acks) * indexed_writes, "estimated"
        p = prices["ddb_wru"]
        lines.append(
            CostLine(
                "DynamoDB",
                "on-demand write request units",
                wru,
                p.unit,
                p.usd,
                basis,
                f"{indexed_writes} writes per item (table + GSIs)",
            )
        )
        consumed_r = sum_present([x.ddb_consumed_rcu for x in series])
        if consumed_r is not None:
            rru, basis = consumed_r, "measured"
        else:
            inbox = s.endpoints["get_inbox"].requests if "get_inbox" in s.endpoints else 0
            page_bytes = result.scenario.inbox.page_limit * item_bytes
            per_read = math.ceil(page_bytes / 4096.0) * (
                0.5 if ddb.eventually_consistent_reads else 1.0
            )
            rru, basis = inbox * per_read, "estimated"
        p = prices["ddb_rru"]
        lines.append(
            CostLine(
                "DynamoDB", "on-demand read request units", rru, p.unit, p.usd, basis, "inbox pages"
            )
        )

    # -- SQS -----------------------------------------------------------------------------------
    p = prices["sqs_request"]
    sqs_requests = events + 2 * batches  # SendMessage per event; receive + delete per batch
    lines.append(
        CostLine(
            "SQS",
            "requests",
            sqs_requests,
            p.unit,
            p.usd,
            "estimated",
            "send per event, receive and delete per batch; empty receives not counted",
        )
    )

    if system.lambda_.provisioned_concurrency:
        notes.append("provisioned concurrency's standing charge is not priced")
    notes.append("free tiers are not applied")
    if system.region != prices.region:
        notes.append(f"prices are for {prices.region}; the system file says {system.region}")
    return CostEstimate(
        events=events,
        duration_s=duration_s,
        lines=lines,
        price_version=prices.version,
        region=prices.region,
        system_region=system.region,
        notes=notes,
    )
