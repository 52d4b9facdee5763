"""What a custom field's definition must be."""

import pytest

from services.directory.domain.custom_fields import check_definition
from shared.contracts.custom_fields import FieldType, InvalidFieldValue


def test_only_choice_fields_have_choices_and_they_must_differ() -> None:
    check_definition(FieldType.CHOICE, ("a", "b"))
    with pytest.raises(InvalidFieldValue):
        check_definition(FieldType.CHOICE, ())
    with pytest.raises(InvalidFieldValue):
        check_definition(FieldType.CHOICE, ("a", "a"))
    with pytest.raises(InvalidFieldValue):
        check_definition(FieldType.TEXT, ("a",))
