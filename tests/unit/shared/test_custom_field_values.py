"""What a custom field's value means for each type: the directory stores values and every
service reads list filters (`field.<key>=<value>`) this way."""

from typing import Any

import pytest

from shared.contracts.custom_fields import (
    FieldDefinition,
    FieldType,
    InvalidFieldValue,
    clean_value,
)

DEPARTMENT = FieldDefinition("department", "Service", FieldType.CHOICE, choices=("Ventes", "TI"))


@pytest.mark.parametrize(
    ("field_type", "given", "stored"),
    [
        (FieldType.TEXT, "  Montréal ", "Montréal"),
        (FieldType.NUMBER, 42, 42),
        (FieldType.NUMBER, "3.5", 3.5),
        (FieldType.NUMBER, "-7", -7),
        (FieldType.DATE, "2024-02-29", "2024-02-29"),
        (FieldType.YES_NO, True, True),
        (FieldType.YES_NO, "oui", True),
        (FieldType.YES_NO, "false", False),
    ],
)
def test_values_are_stored_in_their_type(field_type: FieldType, given: Any, stored: Any) -> None:
    assert clean_value(FieldDefinition("f", "F", field_type), given) == stored


@pytest.mark.parametrize(
    ("field_type", "given", "message"),
    [
        (FieldType.TEXT, 12, "expected text"),
        (FieldType.TEXT, "x" * 1001, "at most 1000"),
        (FieldType.NUMBER, "twelve", "expected a number"),
        (FieldType.NUMBER, True, "expected a number"),
        (FieldType.NUMBER, float("inf"), "expected a number"),
        (FieldType.DATE, "2023-02-29", "YYYY-MM-DD"),
        (FieldType.DATE, 20240101, "YYYY-MM-DD"),
        (FieldType.YES_NO, "maybe", "true or false"),
    ],
)
def test_a_wrong_value_says_what_was_expected(
    field_type: FieldType, given: Any, message: str
) -> None:
    with pytest.raises(InvalidFieldValue, match=message):
        clean_value(FieldDefinition("f", "F", field_type), given)


def test_a_choice_must_be_one_of_the_choices() -> None:
    assert clean_value(DEPARTMENT, "TI") == "TI"
    with pytest.raises(InvalidFieldValue, match="one of Ventes, TI"):
        clean_value(DEPARTMENT, "Finance")


def test_an_empty_value_clears_an_optional_field_but_not_a_required_one() -> None:
    assert clean_value(DEPARTMENT, None) is None
    assert clean_value(DEPARTMENT, "") is None
    required = FieldDefinition("badge", "Badge", FieldType.TEXT, required=True)
    with pytest.raises(InvalidFieldValue, match="required"):
        clean_value(required, None)
