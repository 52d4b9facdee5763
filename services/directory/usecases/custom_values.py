"""Turning `{field_key: value}` from a request into validated values stored by field id."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.domain.custom_fields import CustomFieldRecord, definition_of
from shared.contracts.custom_fields import InvalidFieldValue, clean_value
from shared.errors import Invalid


async def merge_custom_values(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    given: dict[str, Any],
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The user's new values: `given` applied over `current` (None clears a value).

    A new user (`current` None) must get every required field."""
    fields = {f.key: f for f in await fields_db.list_fields(session, tenant_id)}
    errors = [
        {"field": f"custom_fields.{key}", "message": "There is no custom field with this key."}
        for key in given
        if key not in fields
    ]
    values = dict(current or {})
    for key, raw in given.items():
        if key in fields:
            error = _apply(values, fields[key], raw)
            if error:
                errors.append({"field": f"custom_fields.{key}", "message": error})
    if current is None:
        errors.extend(
            {"field": f"custom_fields.{f.key}", "message": "A value is required."}
            for f in fields.values()
            if f.required and str(f.id) not in values
        )
    if errors:
        raise Invalid(
            "Some custom field values are not valid: "
            + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3]),
            errors=errors,
        )
    return values


def _apply(values: dict[str, Any], field: CustomFieldRecord, raw: Any) -> str | None:
    try:
        cleaned = clean_value(definition_of(field), raw)
    except InvalidFieldValue as error:
        return str(error).split(": ", 1)[-1]
    if cleaned is None:
        values.pop(str(field.id), None)
    else:
        values[str(field.id)] = cleaned
    return None
