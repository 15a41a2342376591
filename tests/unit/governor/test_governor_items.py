"""Item sizes by AWS's rules (CapacityUnitCalculations.html)."""

import pytest

from emulator.governor.items import attribute_value_size, item_size_bytes


def test_string_item_is_names_plus_utf8_values():
    assert item_size_bytes({"pk": {"S": "tenant-1"}, "é": {"S": "ü"}}) == 2 + 8 + 2 + 2


@pytest.mark.parametrize(
    ("value", "size"),
    [("1", 2), ("12", 2), ("123", 3), ("-1234", 3), ("1000", 2), ("0.5", 2)],
)
def test_number_is_one_byte_per_two_significant_digits_plus_one(value, size):
    assert attribute_value_size({"N": value}) == size


def test_bool_null_one_byte_and_containers_three_plus_one_per_element():
    assert attribute_value_size({"BOOL": True}) == 1
    assert attribute_value_size({"NULL": True}) == 1
    assert attribute_value_size({"L": [{"S": "ab"}, {"BOOL": False}]}) == 3 + (1 + 2) + (1 + 1)
    assert attribute_value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1


def test_unknown_type_is_refused():
    with pytest.raises(ValueError, match="XX"):
        attribute_value_size({"XX": 1})
