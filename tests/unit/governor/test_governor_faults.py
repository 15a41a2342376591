"""The fault timeline: active windows, targets, journal of apply and rollback."""

from emulator.governor.faults import FaultTimeline
from scaling_lab.scenario.models import Fault, FaultKind


def test_active_between_start_and_end_only():
    tl = FaultTimeline(
        [Fault(kind="added_latency", at="10s", duration="5s", latency_ms=50, target="sqs")]
    )
    assert tl.find(9.99, FaultKind.ADDED_LATENCY, "sqs") is None
    assert tl.find(10.0, FaultKind.ADDED_LATENCY, "sqs") is not None
    assert tl.find(12.0, FaultKind.ADDED_LATENCY, "dynamodb") is None  # other target
    assert tl.find(15.0, FaultKind.ADDED_LATENCY, "sqs") is None


def test_target_all_reaches_every_service():
    tl = FaultTimeline([Fault(kind="backend_unreachable", at="0s", duration="1s", target="all")])
    for service in ("dynamodb", "sqs", "lambda"):
        assert tl.find(0.5, FaultKind.BACKEND_UNREACHABLE, service) is not None


def test_journal_records_apply_and_rollback_times():
    tl = FaultTimeline([Fault(kind="sqs_unavailable", at="2s", duration="3s")])
    assert tl.step(1.0, 101.0) == ([], [])
    applied, rolled = tl.step(2.5, 102.5)
    assert [e.index for e in applied] == [0] and rolled == []
    assert tl.journal[0].applied_epoch_s == 102.0
    applied, rolled = tl.step(6.0, 106.0)
    assert applied == [] and [e.index for e in rolled] == [0]
    assert tl.journal[0].rolled_back_epoch_s == 105.0
    assert tl.journal[0].record().fault.kind.value == "sqs_unavailable"


def test_clear_ends_active_faults_now_and_cancels_pending_ones():
    tl = FaultTimeline(
        [
            Fault(kind="added_latency", at="2s", duration="10s", latency_ms=50),
            Fault(kind="dynamodb_errors", at="20s", duration="5s", rate=0.5),
        ]
    )
    tl.step(3.0, 103.0)
    ended = tl.clear(4.5)
    assert [e.index for e in ended] == [0, 1]
    assert tl.active(4.4) != [] and tl.active(4.5) == []  # ended at the clear, not at 12 s
    assert tl.find(21.0, FaultKind.DYNAMODB_ERRORS, "dynamodb") is None  # never starts
    applied, rolled = tl.step(30.0, 130.0)
    assert applied == [] and [e.index for e in rolled] == [0]
    assert tl.journal[0].rolled_back_epoch_s == 104.5
    assert tl.journal[1].applied_epoch_s is None  # cancelled: no apply, no rollback


def test_faults_added_while_running_join_the_timeline():
    tl = FaultTimeline([])
    (entry,) = tl.add([Fault(kind="lambda_errors", at="7s", duration="3s", rate=1.0)])
    assert entry.index == 0 and tl.first(8.0, FaultKind.LAMBDA_ERRORS) is entry
    assert tl.first(10.0, FaultKind.LAMBDA_ERRORS) is None
