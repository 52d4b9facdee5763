"""Custom fields: their types, and what a value means for a field of each type.

A tenant's admins define fields (the directory keeps the definitions); a value given for
one, in a profile or in a list filter (`field.<key>=<value>`), is read here, so that every
service reading the directory's filters gives them the same meaning.

The directory publishes each definition as it is defined, changed or deleted
(`custom_field.*`, carrying the whole definition and its `version`): a consumer keeps a
copy by upserting when the version is newer, as with user snapshots. Versions come from
one sequence, so a field deleted and defined again under the same key is newer still.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shared.contracts.envelope import Contract

MAX_TEXT_LENGTH = 1000

CUSTOM_FIELD_DEFINED = "custom_field.defined"
CUSTOM_FIELD_CHANGED = "custom_field.changed"
CUSTOM_FIELD_DELETED = "custom_field.deleted"
# The current definition sent again (`python -m services.directory republish`), nothing changed.
CUSTOM_FIELD_REPUBLISHED = "custom_field.republished"


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    YES_NO = "yes_no"


class InvalidFieldValue(ValueError):
    pass


@dataclass(frozen=True)
class FieldDefinition:
    key: str
    label: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()


class CustomFieldDefined(Contract):
    """A field's definition as the directory holds it (on `custom_field.deleted`: as it was,
    with the version of its deletion)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    key: str
    label: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    position: int = 0
    version: int


def clean_value(field: FieldDefinition, value: Any) -> Any:
    """The value as stored (JSON), or InvalidFieldValue saying what is wrong. None clears it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if field.required:
            raise InvalidFieldValue(f"{field.key}: a value is required.")
        return None
    return _CLEANERS[field.type](field, value)


def _text(field: FieldDefinition, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidFieldValue(f"{field.key}: expected text.")
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidFieldValue(f"{field.key}: at most {MAX_TEXT_LENGTH} characters.")
    return value.strip()


def _number(field: FieldDefinition, value: Any) -> int | float:
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise InvalidFieldValue(f"{field.key}: expected a number.") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        raise InvalidFieldValue(f"{field.key}: expected a number.")
    return value


def _finite(value: int | float) -> bool:
    """Finite, and within what a float (and so any JSON reader) can hold."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _date(field: FieldDefinition, value: Any) -> str:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise InvalidFieldValue(f"{field.key}: expected a date as YYYY-MM-DD.")


def _choice(field: FieldDefinition, value: Any) -> str:
    if value not in field.choices:
        raise InvalidFieldValue(f"{field.key}: expected one of {', '.join(field.choices)}.")
    return str(value)


def _yes_no(field: FieldDefinition, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "oui", "non"):
        return value.lower() in ("true", "yes", "oui")
    raise InvalidFieldValue(f"{field.key}: expected true or false.")


_CLEANERS = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.CHOICE: _choice,
    FieldType.YES_NO: _yes_no,
}
