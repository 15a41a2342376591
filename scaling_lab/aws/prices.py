"""The one price table (versioned): AWS list prices in us-east-1 used for cost per 1M events.

Each price carries its source URL and the date it was read. Prices change: bump
PRICE_TABLE.version and the date when you update one, and regenerate docs/performance/.

How the 2026-11-27 figures were confirmed: Lambda's on its pricing page (worked example:
$0.20 per 1M requests, $0.0000166667 per GB-second) and a 2024 summary (cloudchipr.com); API
Gateway's in AWS's whitepaper table (APIGW_PRICING_WHITEPAPER_URL); the stored copies of the
DynamoDB and SQS pricing pages did not show the figures, so those were read from dated
third-party summaries: DynamoDB provisioned from zeonedge.com, on-demand (after the November
2024 reduction) from airbyte.com (July 2025), SQS from cloudburn.io (March 2026) and
factualminds.com (June 2026). Check them against the AWS pages when you next update.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRICE_TABLE", "Price", "PriceTable"]

LAMBDA_PRICING_URL = "https://aws.amazon.com/lambda/pricing/"
DDB_PROVISIONED_URL = "https://aws.amazon.com/dynamodb/pricing/provisioned/"
DDB_ON_DEMAND_URL = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
SQS_PRICING_URL = "https://aws.amazon.com/sqs/pricing/"
APIGW_PRICING_URL = "https://aws.amazon.com/api-gateway/pricing/"
APIGW_PRICING_WHITEPAPER_URL = (
    "https://docs.aws.amazon.com/whitepapers/latest/"
    "best-practices-api-gateway-private-apis-integration/cost-optimization.html"
)


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    unit: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class PriceTable:
    version: str
    region: str
    taken_on: str  # the date the prices were read from their sources
    prices: tuple[Price, ...]

    def __getitem__(self, key: str) -> Price:
        for p in self.prices:
            if p.key == key:
                return p
        raise KeyError(key)


PRICE_TABLE = PriceTable(
    version="2026-11-27.1",
    region="us-east-1",
    taken_on="2026-11-27",
    prices=(
        # "$0.20 per 1M requests" (us-east-1) -- LAMBDA_PRICING_URL
        Price("lambda_request", 0.20 / 1e6, "request", LAMBDA_PRICING_URL),
        # x86, first 6 billion GB-seconds a month: $0.0000166667 per GB-second -- LAMBDA_PRICING_URL
        Price(
            "lambda_gb_second",
            0.0000166667,
            "GB-second",
            LAMBDA_PRICING_URL,
            "x86, first tier; billed duration rounded up to 1 ms",
        ),
        # Provisioned capacity, Standard table class: $0.00065 per WCU-hour, $0.00013 per
        # RCU-hour -- DDB_PROVISIONED_URL
        Price("ddb_wcu_hour", 0.00065, "WCU-hour", DDB_PROVISIONED_URL, "Standard table class"),
        Price("ddb_rcu_hour", 0.00013, "RCU-hour", DDB_PROVISIONED_URL, "Standard table class"),
        # On-demand after the November 2024 reduction: $0.625 per million write request units,
        # $0.125 per million read request units -- DDB_ON_DEMAND_URL
        Price(
            "ddb_wru", 0.625 / 1e6, "write request unit", DDB_ON_DEMAND_URL, "Standard table class"
        ),
        Price(
            "ddb_rru", 0.125 / 1e6, "read request unit", DDB_ON_DEMAND_URL, "Standard table class"
        ),
        # Standard queue, first 100 billion requests a month: $0.40 per million; each 64 KB
        # chunk of a payload is one request -- SQS_PRICING_URL
        Price("sqs_request", 0.40 / 1e6, "request", SQS_PRICING_URL, "standard queue"),
        # REST API, first 333 million requests a month: $3.50 per million -- APIGW_PRICING_URL,
        # APIGW_PRICING_WHITEPAPER_URL (Table 4)
        Price("apigw_rest_request", 3.50 / 1e6, "request", APIGW_PRICING_URL, "REST API, tier 1"),
        # Lambda function URLs have no charge of their own: requests and duration are billed
        # as Lambda -- LAMBDA_PRICING_URL
        Price(
            "function_url_request", 0.0, "request", LAMBDA_PRICING_URL, "no charge beyond Lambda's"
        ),
    ),
)
