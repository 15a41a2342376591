import pytest

from scaling_lab.errors import InputError
from scaling_lab.load.scale import resolve_scale


@pytest.mark.parametrize(
    ("peak", "budget", "k"),
    [(10000, 200, 0.02), (5000, 200, 0.04), (1000, 200, 0.2), (100, 200, 1.0), (3000, 200, 0.066)],
)
def test_auto_scale_fits_peak_into_budget(peak, budget, k):
    got = resolve_scale("auto", peak, budget)
    assert got == pytest.approx(k)
    assert peak * got <= budget + 1e-9


@pytest.mark.parametrize("bad", ["0", "-1", "fast", "1001"])
def test_bad_scale_is_input_error(bad):
    with pytest.raises(InputError, match="--scale"):
        resolve_scale(bad, 1000, 200)


def test_explicit_scale_is_kept():
    assert resolve_scale("0.05", 10000, 200) == 0.05
