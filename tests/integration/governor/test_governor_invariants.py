"""Under a throttle storm and an unreachable backend the API answers 429/5xx, never a false
202: the audit finds every accepted event stored exactly once and enqueued at least once."""

from __future__ import annotations

from collections import Counter

import pytest

from scaling_lab.scenario.models import Fault
from scaling_lab.system import SdkConfig, load_system
from scaling_lab.system.scaling import scale_system
from tests.integration.governor.gov_harness import (
    governed_stack,
    governor_doc,
    open_loop,
    start_run,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def _system():
    # staging at 0.02: 100 WCU (50 events/s), reserved concurrency 20. botocore standard mode
    # (3 attempts) keeps a throttled request's life short so the test stays bounded.
    base = scale_system(load_system("staging"), 0.02)
    # One tenant sends everything; its partition key is given the unscaled 1,000 WCU/s so
    # that the table-level faults, not the per-key ceiling (20 WCU/s at x 0.02), decide.
    ddb = base.dynamodb.model_copy(update={"partition_wcu": 1000.0})
    return base.model_copy(update={"sdk": SdkConfig(retry_mode="standard"), "dynamodb": ddb})


def test_no_false_202_under_throttle_storm_and_unreachable_backend():
    faults = [
        # 1 WCU per event: from t = 1 s the credit (170 WCU) drains at 30 - 2 WCU/s, so
        # throttling starts near t = 7 s, inside the storm.
        Fault(kind="throttle_storm", at="1s", duration="9s", capacity_factor=0.02),
        Fault(kind="backend_unreachable", at="13s", duration="4s", target="dynamodb"),
    ]
    with governed_stack(_system(), burst_credit_full=False) as stack:
        start_run(stack.url, faults)
        outcomes = open_loop(stack.url, stack.api_keys[0], lambda t: 30.0, duration_s=20.0)
        doc = governor_doc(stack.url)
        accepted = [o.event_id for o in outcomes if o.status == 202 and o.event_id]
        report = stack.audit(accepted, wait_drain_s=30.0)

    statuses = Counter(o.status for o in outcomes)
    in_storm = Counter(o.status for o in outcomes if 1.5 <= o.t_s < 10)
    unreachable = Counter(o.status for o in outcomes if 13.5 <= o.t_s < 16.5)
    # The faults bite: throttles (429 from the Lambda gate, 503 from the app's handler after
    # botocore gave up) in the storm, 503 while DynamoDB is unreachable.
    assert in_storm[429] + in_storm[503] > 0, in_storm
    # (a 202 here is a request whose retry, up to ~2 s later, ran after the window)
    assert unreachable[503] > 0, unreachable
    assert unreachable[503] + unreachable[429] > unreachable[202], unreachable
    assert statuses[202] > 200, statuses  # and the rest of the run is served
    # ... and they were rolled back: the last seconds are served again.
    assert all(o.status == 202 for o in outcomes if o.t_s >= 18.5), statuses
    journal = {f["fault"]["kind"]: f for f in doc["faults"]}
    assert journal["throttle_storm"]["rolled_back_epoch_s"] is not None
    assert journal["backend_unreachable"]["affected_calls"] > 0
    assert doc["totals"]["ddb_throttled"] > 0 and doc["totals"]["ddb_retries"] > 0
    # Nothing answered 202 is lost, doubled or left unqueued.
    assert report.missing == 0, report
    assert report.duplicate_stored == 0, report
    assert report.not_enqueued == 0, report
    assert report.ok, report
