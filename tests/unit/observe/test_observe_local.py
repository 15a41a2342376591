"""The emulator's JSON counters -> figures -> an observed result (and into a builder)."""

from __future__ import annotations

from datetime import UTC, datetime

from scaling_lab.observe import apply_to_builder, figures_from_document, merge_into_result
from scaling_lab.result import Provenance, ResultBuilder, ResultKind
from scaling_lab.scenario import load_scenario
from scaling_lab.system import load_system

T0 = 1_800_000_000


def _doc() -> dict:
    return {
        "t0_epoch_s": T0 + 0.4,
        "seconds": [
            {
                "epoch_s": T0,
                "lambda_concurrency": 3,
                "lambda_invocations": 40.0,
                "cold_starts": 2.0,
                "ddb_consumed_wcu": 80.0,
                "ddb_provisioned_wcu": 100.0,
            },
            {
                "epoch_s": T0 + 2,
                "lambda_concurrency": 20,
                "lambda_invocations": 60.0,
                "lambda_throttles": 7.0,
                "ddb_throttled": 5.0,
                "ddb_retries": 4.0,
                "ddb_provisioned_wcu": 143.0,
                "sqs_depth": 12.0,
            },
        ],
        "throttles_by_cause": {"lambda_concurrency": 7},
        "faults": [],
        "scaling_actions": [
            {
                "dimension": "wcu",
                "direction": "out",
                "to_units": 143.0,
                "decided_t_s": 120.0,
                "effective_t_s": 150.0,
            }
        ],
        "state": {"provisioned_wcu": 143.0},
    }


def _builder() -> ResultBuilder:
    return ResultBuilder(
        load_scenario("smoke"),
        load_system("staging"),
        ResultKind.OBSERVED,
        Provenance(target="local", started_at=datetime.fromtimestamp(T0, UTC)),
    )


def test_merge_fills_counters_and_carries_levels():
    b = _builder()
    b.record(0.1, "post_events", 12.0)
    merged = merge_into_result(b.build(), figures_from_document(_doc()))
    s = merged.series
    assert (s[0].lambda_invocations, s[1].lambda_invocations, s[2].lambda_invocations) == (
        40,
        0,
        60,
    )
    assert s[1].ddb_provisioned_wcu == 100.0 and s[2].ddb_provisioned_wcu == 143.0
    assert s[0].ddb_throttled == 0 and s[2].ddb_throttled == 5 and s[2].ddb_retries == 4
    assert merged.summary.cold_starts == 2
    assert merged.summary.cold_start_fraction == 2 / 100
    assert merged.summary.max_lambda_concurrency == 20
    assert merged.summary.throttles_by_cause == {"lambda_concurrency": 7}
    assert any("auto scaling wcu out to 143.0" in n for n in merged.provenance.notes)


def test_apply_to_builder_gives_the_same_series():
    b = _builder()
    apply_to_builder(b, figures_from_document(_doc()), float(T0))
    result = b.build()
    assert result.series[2].lambda_throttles == 7
    assert result.series[2].sqs_depth == 12
    assert result.summary.max_ddb_provisioned_wcu == 143.0
    assert result.summary.throttles_by_cause == {"lambda_concurrency": 7}
