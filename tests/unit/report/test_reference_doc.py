"""docs/scenario-reference.md is generated from the schema and committed up to date."""

from scaling_lab.report.reference import DOC_PATH, render_reference


def test_committed_scenario_reference_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_reference(), (
        "docs/scenario-reference.md is stale: run python -m scaling_lab.report.reference --write"
    )


def test_reference_covers_every_scenario_key() -> None:
    from scaling_lab.scenario.models import Scenario, Stage

    text = render_reference()
    for key in Scenario.model_fields:
        assert f"| `{key}` |" in text
    assert "| `duration` | duration |" in text  # Stage.duration_s is written as "30s"
    assert Stage.__doc__ is not None and "ramping-arrival-rate" in text
