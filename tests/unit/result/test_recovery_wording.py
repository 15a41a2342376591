"""The recovery line says what happened: within the spike, only when its load went away, or
never."""

from scaling_lab.result.models import RecoveryVerdict


def verdict(recovery_s: float | None, spike: float = 120.0) -> RecoveryVerdict:
    return RecoveryVerdict(
        spike_start_s=60.0,
        recovery_s=recovery_s,
        deadline_s=120.0,
        recovered=recovery_s is not None and recovery_s < 120.0,
        condition=["p(95)<100"],
        spike_duration_s=spike,
    )


def test_recovered_within_the_spike() -> None:
    assert verdict(35.0).describe() == "recovered 35 s into the spike"


def test_good_only_when_the_spike_ended_is_not_a_recovery() -> None:
    text = verdict(120.0).describe()
    assert text == "not recovered before the spike ended: good again when it ended"
    assert "recovered 120 s" not in text
    assert verdict(157.0).describe().endswith("37 s after it ended")


def test_never_and_never_degraded() -> None:
    assert verdict(None).describe() == "never recovered (the run ended first)"
    assert verdict(0.0).describe() == "never degraded"


def test_predicted_spike_result_carries_the_spike_length() -> None:
    from scaling_lab.model import predict
    from scaling_lab.scenario import load_scenario
    from scaling_lab.system import load_system

    r = predict(load_scenario("spike").scaled(0.01), load_system("staging"))
    assert r.summary.recovery is not None
    assert r.summary.recovery.spike_duration_s == 120.0
    assert "after it began" not in r.summary.recovery.describe()
