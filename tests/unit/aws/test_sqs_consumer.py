"""The queue consumer's share of the account's concurrency (scaling_lab.aws.sqs)."""

from __future__ import annotations

import pytest

from scaling_lab.aws import SqsConsumerScaling
from scaling_lab.system.models import SystemConfig


def _system(**lam: int) -> SystemConfig:
    return SystemConfig.model_validate(
        {
            "name": "t",
            "lambda": lam,
            "sqs": {
                "consumer": {
                    "batch_size": 10,
                    "initial_pollers": 50,
                    "service_time_ms": {"dist": "constant", "value_ms": 500},
                }
            },
        }
    )


def test_a_shared_account_leaves_the_consumer_what_the_api_does_not_hold() -> None:
    """Account 100, no reservation, the API holding 80: 20 batches at once, 20 msg/s each."""
    sqs = SqsConsumerScaling(_system(account_concurrency=100))
    assert sqs.step(10_000, api_busy=80) == pytest.approx(10_000 - 20 * 20)
    # Little's law: 400 messages in batches of 10, each holding an environment 0.5 s
    assert sqs.in_flight == pytest.approx(20.0)
    assert sqs.step(0, api_busy=100) == pytest.approx(10_000 - 400)  # nothing left to it


def test_a_reserved_api_function_leaves_the_consumer_the_rest_of_the_account() -> None:
    sqs = SqsConsumerScaling(_system(account_concurrency=1100, reserved_concurrency=1000))
    assert not sqs.shared
    assert sqs.max == 100
    assert sqs.step(10_000, api_busy=1000) == pytest.approx(10_000 - 50 * 20)  # not shared


def test_the_consumers_batches_take_from_an_unreserved_api_functions_room() -> None:
    from scaling_lab.aws import LambdaEnvironments, ThrottleCause

    system = _system(account_concurrency=100)
    lam = LambdaEnvironments(system.lambda_)
    lam.others = 30
    adm = lam.admit(0.0, 100)
    assert (adm.warm + adm.cold, adm.throttled) == (70, 30)
    assert adm.cause is ThrottleCause.LAMBDA_CONCURRENCY
