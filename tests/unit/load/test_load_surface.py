"""scaling_lab.load's public surface is its __all__, and every name in it exists."""

import scaling_lab.load as load


def test_all_names_exist():
    assert {"run_scenario", "run_load", "render_script", "K6CsvAggregator"} <= set(load.__all__)
    for name in load.__all__:
        assert hasattr(load, name), name
