"""Custom fields defined by an admin. The key is fixed at creation; values are stored by
the field's id, so a field deleted and created again never inherits old values."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.db.models import CustomField
from services.directory.domain.custom_fields import (
    KEY_PATTERN,
    FieldType,
    InvalidFieldValue,
    check_definition,
)
from services.directory.snapshots import publish_user_event
from services.directory.usecases.common import flush_unique
from shared.contracts.users import USER_UPDATED
from shared.errors import Conflict, Invalid, NotFound
from shared.security.access_tokens import Principal

KEY_TAKEN = "A custom field with this key already exists."


async def define_field(
    session: AsyncSession,
    actor: Principal,
    *,
    key: str,
    label: str,
    field_type: FieldType,
    required: bool,
    choices: list[str],
    position: int,
) -> CustomField:
    if not KEY_PATTERN.match(key):
        raise Invalid(
            "key: use lower-case letters, digits and underscores, starting with a letter."
        )
    _check(field_type, choices)
    if await fields_db.key_taken(session, actor.tenant_id, key):
        raise Conflict(KEY_TAKEN)
    field = CustomField(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        key=key,
        label=label,
        type=field_type.value,
        required=required,
        choices=choices,
        position=position,
    )
    session.add(field)
    await flush_unique(session, KEY_TAKEN)
    return field


async def change_field(
    session: AsyncSession, actor: Principal, field_id: uuid.UUID, changes: dict[str, Any]
) -> CustomField:
    field = await _load(session, actor, field_id)
    if "choices" in changes:
        _check(FieldType(field.type), changes["choices"])
    for name in ("label", "required", "choices", "position"):
        if name in changes:
            setattr(field, name, changes[name])
    await session.flush()
    return field


async def delete_field(session: AsyncSession, actor: Principal, field_id: uuid.UUID) -> None:
    """Delete the field and its values; users who had a value get a new snapshot."""
    field = await _load(session, actor, field_id)
    holders = await fields_db.users_with_value(session, actor.tenant_id, field.id)
    await session.delete(field)
    users = await users_db.users_by_ids(session, actor.tenant_id, holders, for_update=True)
    now = datetime.now(UTC)
    for user in users:
        user.custom_fields = {k: v for k, v in user.custom_fields.items() if k != str(field.id)}
        user.updated_at = now
    if users:
        await publish_user_event(session, USER_UPDATED, *users)
    else:
        await session.flush()


def _check(field_type: FieldType, choices: list[str]) -> None:
    try:
        check_definition(field_type, tuple(choices))
    except InvalidFieldValue as error:
        raise Invalid(f"choices: {error}") from None


async def _load(session: AsyncSession, actor: Principal, field_id: uuid.UUID) -> CustomField:
    field = await fields_db.get_field(session, actor.tenant_id, field_id)
    if field is None:
        raise NotFound("There is no such custom field.")
    return field
