"""scaling_lab.observe's public surface is its __all__."""

import scaling_lab.observe as observe


def test_all_names_exist():
    assert observe.__all__
    for name in observe.__all__:
        assert hasattr(observe, name), name
