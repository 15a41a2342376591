"""The top-level surface a library user starts from (names in ``__all__`` that do not exist
are ruff's F822)."""


def test_top_level_surface():
    import scaling_lab

    assert set(scaling_lab.__all__) >= {
        "Scenario",
        "SystemConfig",
        "RunResult",
        "load_scenario",
        "load_system",
        "load_result",
        "ScalingLabError",
    }
