"""The governor's ticker work: auto scaling through UpdateTable, scale, metrics publishing."""

from __future__ import annotations

from typing import Any

import pytest
from governor_helpers import make_governor

from emulator.governor.metrics import MetricNames, cloudwatch_datums
from scaling_lab.aws.metrics import Figure
from scaling_lab.system import load_system
from scaling_lab.system.scaling import scale_system


class FakeDynamoDB:
    """Admin client double: remembers UpdateTable calls and answers DescribeTable."""

    def __init__(self, wcu: int, rcu: int) -> None:
        self.updates: list[dict[str, Any]] = []
        self.throughput = {"WriteCapacityUnits": wcu, "ReadCapacityUnits": rcu}

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {
            "Table": {
                "TableName": TableName,
                "ProvisionedThroughput": dict(self.throughput),
                "BillingModeSummary": {"BillingMode": "PROVISIONED"},
            }
        }

    def update_table(self, **kwargs: Any) -> None:
        self.updates.append(kwargs)
        self.throughput.update(kwargs["ProvisionedThroughput"])


def test_scale_multiplies_rates_and_capacities(clock, app_settings):
    g = make_governor(clock, app_settings, load_system("staging"), scale=0.02)
    assert g.provisioned_now() == (100.0, 20.0)  # 5,000 / 1,000 x 0.02
    assert g.pool.cap == 20  # reserved 1,000 x 0.02
    assert g.system.dynamodb.write.auto_scaling.actuation_delay_s == 30.0  # durations kept


def test_auto_scaling_raises_wcu_after_two_high_datapoints_plus_delay(clock, app_settings):
    # WCU 100, target 70 %, 90 WCU/s consumed: 90 % > 70 % in minutes 1 and 2; the alarm sees
    # the second 60 s after it ends (metric delay) at t=180 s, and UpdateTable takes effect 30 s
    # later with ceil(90 / 0.7) = 129.
    g = make_governor(clock, app_settings)
    ddb = FakeDynamoDB(100, 20)
    t0 = clock()
    g.start(t0)
    applied_at = None
    for s in range(260):
        clock.t = t0 + s + 0.5
        assert g.try_consume_write(90, clock())
        clock.t = t0 + s + 1
        g._step_autoscaling(ddb, clock())
        if ddb.updates and applied_at is None:
            applied_at = s + 1
    assert applied_at == 210
    assert ddb.updates[0]["ProvisionedThroughput"]["WriteCapacityUnits"] == 129
    assert g.provisioned_now()[0] == 129
    (action,) = g.scaling_actions
    assert action.decided_t_s == 180 and action.effective_t_s == 210
    seen = g.snapshot().scaling_datapoints["wcu"]
    assert [(d.end_t_s, d.seen_t_s) for d in seen[:2]] == [(60, 120), (120, 180)]


def test_no_scaling_below_target(clock, app_settings):
    g = make_governor(clock, app_settings)
    ddb = FakeDynamoDB(100, 20)
    t0 = clock()
    g.start(t0)
    for s in range(300):
        clock.t = t0 + s + 0.5
        g.try_consume_write(60, clock())  # 60 %: neither above 70 % nor below 50 %
        clock.t = t0 + s + 1
        g._step_autoscaling(ddb, clock())
    assert ddb.updates == []


def test_cloudwatch_datums_use_aws_names_and_dimensions():
    names = MetricNames("fn", "table", "queue")
    out = cloudwatch_datums(
        [
            {
                "epoch_s": 1_700_000_000,
                "lambda_concurrency": 3,
                "ddb_write_throttles": 2,
                "sqs_depth": 7,
                "cold_starts": 1,
            }
        ],
        names,
    )
    assert set(out) == {"AWS/Lambda", "AWS/DynamoDB", "AWS/SQS", "ScalingLab/Emulator"}
    (lam,) = out["AWS/Lambda"]
    assert lam["MetricName"] == "ConcurrentExecutions"
    assert lam["Dimensions"] == [{"Name": "FunctionName", "Value": "fn"}]
    assert lam["StorageResolution"] == 1
    (ddb,) = out["AWS/DynamoDB"]
    assert (ddb["MetricName"], ddb["Value"]) == ("WriteThrottleEvents", 2.0)
    assert out["AWS/SQS"][0]["MetricName"] == "ApproximateNumberOfMessagesVisible"


def test_publish_batches_many_datapoints_per_call(clock, app_settings):
    g = make_governor(clock, app_settings, publish=True)
    t0 = clock()
    g.start(t0)
    for s in range(30):
        g.counters.add(t0 + s, Figure.LAMBDA_INVOCATIONS, 5)
        g.counters.gauge_max(t0 + s, Figure.LAMBDA_CONCURRENCY, 2)

    class FakeCW:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def put_metric_data(self, **kw: Any) -> None:
            self.calls.append(kw)

    cw = FakeCW()
    g.publisher.publish(cw, int(t0) + 30)
    assert len(cw.calls) == 1  # one namespace, 60 datapoints, one call
    assert len(cw.calls[0]["MetricData"]) == 60
    g.publisher.publish(cw, int(t0) + 30)
    assert len(cw.calls) == 1  # nothing new


@pytest.mark.parametrize("mode", ["on_demand"])
def test_on_demand_has_no_provisioned_figures(clock, app_settings, mode):
    g = make_governor(clock, app_settings, scale_system(load_system("on-demand"), 0.02))
    assert g.on_demand and g.provisioned_now() == (None, None)


def test_cloudwatch_failure_does_not_stop_the_governor(clock, app_settings):
    from botocore.exceptions import ClientError

    g = make_governor(clock, app_settings, publish=True)
    t0 = clock()
    g.start(t0)
    g.counters.add(t0, Figure.LAMBDA_INVOCATIONS, 1)

    class DownCW:
        def put_metric_data(self, **kw: Any) -> None:
            raise ClientError({"Error": {"Code": "UnsupportedOperation"}}, "PutMetricData")

    g.publisher.publish(DownCW(), int(t0) + 1)
    g.publisher.publish(DownCW(), int(t0) + 1)
    assert g.publisher.failures == 1  # the second call had nothing new to send
    assert g.snapshot().seconds[0]["lambda_invocations"] == 1


def test_late_ticks_do_not_move_consumption_between_datapoints(clock, app_settings):
    # 10 WCU/s in the first minute (10 %), 90 WCU/s after: the two high datapoints end at
    # 180 s, and the alarm sees the second at 240 s. The ticker only comes round every 55 s; if
    # consumption were counted when a tick closes a datapoint, minute 0 would absorb 50 s of
    # minute 1 (85 %) and the alarm would fire at 180 s. Decision and effective time follow the
    # datapoints; UpdateTable is late.
    g = make_governor(clock, app_settings)
    ddb = FakeDynamoDB(100, 20)
    t0 = clock()
    g.start(t0)
    for s in range(200):
        clock.t = t0 + s + 0.5
        assert g.try_consume_write(10 if s < 60 else 90, clock())
        clock.t = t0 + s + 1
        if (s + 1) % 55 == 0:
            g._step_autoscaling(ddb, clock())
    assert g.write_scaler is not None and g.write_scaler.next_change_s() is None
    assert ddb.updates == []
    clock.t = t0 + 220
    g._step_autoscaling(ddb, clock())
    assert ddb.updates == []  # minute 2 is closed, but the alarm sees it only at 240 s
    clock.t = t0 + 275
    g._step_autoscaling(ddb, clock())
    (action,) = g.scaling_actions
    assert action.decided_t_s == 240 and action.effective_t_s == 270
    assert action.applied_t_s == 275
    assert ddb.updates[0]["ProvisionedThroughput"]["WriteCapacityUnits"] == 129


def test_a_scaled_system_is_read_back_with_its_reserved_cap():
    from scaling_lab.system import SystemConfig

    scaled = scale_system(load_system("staging"), 0.02)
    system = SystemConfig.model_validate_json(scaled.model_dump_json(by_alias=True))
    assert system.lambda_.reserved_concurrency == 20
    assert system.lambda_.concurrency_cap == 20
    assert system.dynamodb == scaled.dynamodb


def test_scale_in_after_fifteen_low_datapoints_back_to_min(clock, app_settings):
    # 90 WCU/s for 3 min: out to 129 at 210 s (seen at 180 s). Then 10 WCU/s (< 50 % of 129):
    # the 15th low datapoint ends at 180 + 15 x 60 = 1,080 s and is seen at 1,140 s; UpdateTable
    # back to min 100 at 1,170 s.
    g = make_governor(clock, app_settings)
    ddb = FakeDynamoDB(100, 20)
    t0 = clock()
    g.start(t0)
    for s in range(1200):
        clock.t = t0 + s + 0.5
        g.try_consume_write(90 if s < 180 else 10, clock())
        clock.t = t0 + s + 1
        g._step_autoscaling(ddb, clock())
    out, back = g.scaling_actions
    assert (out.direction, out.to_units, out.effective_t_s) == ("out", 129, 210)
    assert (back.direction, back.decided_t_s, back.effective_t_s) == ("in", 1140, 1170)
    assert back.to_units == 100  # never below the auto-scaling minimum (5,000 x 0.02)
    assert [u["ProvisionedThroughput"]["WriteCapacityUnits"] for u in ddb.updates] == [129, 100]
