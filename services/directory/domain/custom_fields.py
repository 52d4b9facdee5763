"""Custom fields an admin defines: what a definition must be, and how a user's values
(stored by the field's id, so a field deleted and made again never inherits old values)
are shown by key. What a value means for each type: `shared.contracts.custom_fields`."""

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from shared.contracts.custom_fields import (
    CustomFieldDefined,
    FieldDefinition,
    FieldType,
    InvalidFieldValue,
)
from shared.contracts.users import CustomFieldValue

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class CustomFieldRecord(Protocol):
    """A field's definition as the directory stores it (the ORM's `CustomField` is one)."""

    id: uuid.UUID
    key: str
    label: str
    type: FieldType
    required: bool
    choices: list[str]
    position: int
    created_at: datetime
    version: int


def check_definition(field_type: FieldType, choices: tuple[str, ...]) -> None:
    if field_type is FieldType.CHOICE:
        if not choices:
            raise InvalidFieldValue("A choice field needs at least one choice.")
        if len(set(choices)) != len(choices):
            raise InvalidFieldValue("Choices must be different from each other.")
        if any(not choice.strip() for choice in choices):
            raise InvalidFieldValue("A choice cannot be blank.")
    elif choices:
        raise InvalidFieldValue("Only a choice field has choices.")


def definition_of(field: CustomFieldRecord) -> FieldDefinition:
    return FieldDefinition(
        key=field.key,
        label=field.label,
        type=field.type,
        required=field.required,
        choices=tuple(field.choices),
    )


def published_definition(
    tenant_id: uuid.UUID, field: CustomFieldRecord, version: int | None = None
) -> CustomFieldDefined:
    """What `custom_field.*` events carry (`version`: the deletion's, for a deleted field)."""
    return CustomFieldDefined(
        id=field.id,
        tenant_id=tenant_id,
        key=field.key,
        label=field.label,
        type=field.type,
        required=field.required,
        choices=tuple(field.choices),
        position=field.position,
        version=field.version if version is None else version,
    )


def values_by_key(values: Mapping[str, Any], fields: Sequence[CustomFieldRecord]) -> dict[str, Any]:
    """A user's values (stored by field id) by the key of each field they have a value for."""
    return values_by_stored_key(values, stored_keys(fields))


StoredKeys = Sequence[tuple[str, str]]


def stored_keys(fields: Sequence[CustomFieldRecord]) -> StoredKeys:
    """Each field's id as its values are stored (a string) and its key, in the fields'
    order: made once for many users (a page of the list), not once per user and field."""
    return [(str(f.id), f.key) for f in fields]


def values_by_stored_key(values: Mapping[str, Any], keys: StoredKeys) -> dict[str, Any]:
    """`values_by_key` with the fields' `stored_keys`."""
    if not values:
        return {}
    return {key: values[stored] for stored, key in keys if stored in values}


def values_shown(
    values: Mapping[str, Any], fields: Sequence[CustomFieldRecord]
) -> list[CustomFieldValue]:
    """A user's values with their field's key, label and type, in the fields' order."""
    return [CustomFieldValue(**shown) for shown in values_shown_data(values, fields)]


def values_shown_data(
    values: Mapping[str, Any], fields: Sequence[CustomFieldRecord]
) -> list[dict[str, Any]]:
    """`values_shown` as plain data, for a snapshot validated whole (one call, not one per
    value: building many small models was a quarter of `republish`'s time)."""
    return [
        {
            "key": f.key,
            "label": f.label,
            "type": f.type.value,
            "value": values[str(f.id)],
            "position": f.position,
        }
        for f in fields
        if str(f.id) in values
    ]
