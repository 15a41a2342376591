"""Cost per 1M events: the price table's numbers and sources, and the arithmetic."""

from __future__ import annotations

import math

import pytest

from scaling_lab.cost import PRICE_TABLE, estimate_cost
from scaling_lab.system import load_system
from tests.unit.store.synth_runs import QUIET, steady_scenario, synth_run


def test_price_table_is_versioned_and_cited() -> None:
    assert PRICE_TABLE.region == "us-east-1"
    assert PRICE_TABLE.version.startswith(PRICE_TABLE.taken_on)
    for p in PRICE_TABLE.prices:
        assert p.source.startswith("https://aws.amazon.com/"), p.key
    # the documented list prices (pinned: a change must be deliberate)
    assert PRICE_TABLE["lambda_request"].usd * 1e6 == pytest.approx(0.20)
    assert PRICE_TABLE["lambda_gb_second"].usd == pytest.approx(0.0000166667)
    assert PRICE_TABLE["ddb_wcu_hour"].usd == pytest.approx(0.00065)
    assert PRICE_TABLE["ddb_rcu_hour"].usd == pytest.approx(0.00013)
    assert PRICE_TABLE["ddb_wru"].usd * 1e6 == pytest.approx(0.625)
    assert PRICE_TABLE["ddb_rru"].usd * 1e6 == pytest.approx(0.125)
    assert PRICE_TABLE["sqs_request"].usd * 1e6 == pytest.approx(0.40)
    assert PRICE_TABLE["apigw_rest_request"].usd * 1e6 == pytest.approx(3.50)
    assert PRICE_TABLE["function_url_request"].usd == 0


def _line(cost, item):  # type: ignore[no-untyped-def]
    return next(ln for ln in cost.lines if ln.item.startswith(item))


def test_provisioned_capacity_as_provisioned_over_the_run() -> None:
    r = synth_run(1, noise=QUIET, figures=True)  # 5000 WCU and 1000 RCU every second, 60 s
    cost = estimate_cost(r)
    wcu = _line(cost, "provisioned write capacity")
    assert wcu.basis == "measured"
    assert wcu.quantity == pytest.approx(5000 * 60 / 3600)
    assert wcu.usd == pytest.approx(5000 * 60 / 3600 * 0.00065)
    assert _line(cost, "provisioned read capacity").quantity == pytest.approx(1000 * 60 / 3600)
    invocations = _line(cost, "API invocations")
    assert invocations.basis == "measured"
    events = r.summary.endpoints["post_events"].requests
    assert cost.events == events
    assert cost.per_million_events_usd == pytest.approx(cost.total_usd / events * 1e6)


def test_lambda_duration_from_mean_latency_and_memory() -> None:
    r = synth_run(2, noise=QUIET)
    cost = estimate_cost(r)
    ep = r.summary.endpoints["post_events"]
    assert ep.mean_ms is not None
    gb_s = ep.requests * math.ceil(ep.mean_ms) / 1000 * (512 / 1024)
    assert _line(cost, "API duration").quantity == pytest.approx(gb_s)
    # without the series, provisioned capacity falls back to the system file's levels
    wcu = _line(cost, "provisioned write capacity")
    assert wcu.basis == "estimated"
    assert wcu.quantity == pytest.approx(5000 * 60 / 3600)
    assert _line(cost, "requests").service == "Function URL"
    sqs = next(ln for ln in cost.lines if ln.service == "SQS")
    assert sqs.quantity == cost.events + 2 * math.ceil(cost.events / 10)


def test_on_demand_and_api_gateway() -> None:
    r = synth_run(3, noise=QUIET, scenario=steady_scenario(rate=50))
    system = load_system("on-demand").model_copy(
        update={"front_door": load_system("staging-apigw").front_door}
    )
    cost = estimate_cost(r.model_copy(update={"system": system}))
    wru = _line(cost, "on-demand write request units")
    # 870-byte items -> 1 WRU, written to the table and to its two inbox indexes
    assert len(system.dynamodb.gsis) == 2
    assert wru.quantity == cost.events * 3
    apigw = next(ln for ln in cost.lines if ln.service == "API Gateway")
    assert apigw.usd == pytest.approx(r.summary.requests * 3.50 / 1e6)
    assert not any(ln.item.startswith("provisioned") for ln in cost.lines)


def test_no_events_means_no_cost_per_million() -> None:
    sc = steady_scenario(rate=20, mix={"post_events": 0.0, "get_inbox": 1.0})
    cost = estimate_cost(synth_run(4, noise=QUIET, scenario=sc))
    assert cost.events == 0
    assert cost.per_million_events_usd is None
