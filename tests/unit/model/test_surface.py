"""scaling_lab.model's public surface is its __all__."""

import scaling_lab.model as model


def test_all_names_exist() -> None:
    assert model.__all__
    for name in model.__all__:
        assert hasattr(model, name), name
