"""Custom field definitions, and finding who holds a value for one."""

import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import CustomField
from shared.contracts.custom_fields import FieldType

# A definition's columns (`CustomFieldRecord`), for reading them as rows.
FIELD_COLUMNS = (
    CustomField.id,
    CustomField.key,
    CustomField.label,
    CustomField.type,
    CustomField.required,
    CustomField.choices,
    CustomField.position,
    CustomField.created_at,
)


async def list_fields(session: AsyncSession, tenant_id: uuid.UUID) -> list[CustomField]:
    query = (
        select(CustomField)
        .where(CustomField.tenant_id == tenant_id)
        .order_by(CustomField.position, CustomField.key)
    )
    return list((await session.execute(query)).scalars())


async def get_field(
    session: AsyncSession, tenant_id: uuid.UUID, field_id: uuid.UUID, *, for_update: bool = False
) -> CustomField | None:
    """The field; locked when it is about to change, so that versions follow commits."""
    query = select(CustomField).where(
        CustomField.tenant_id == tenant_id, CustomField.id == field_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def next_version(session: AsyncSession) -> int:
    """A version newer than any definition's so far (all fields share the sequence)."""
    return int(
        (await session.execute(text("SELECT nextval('custom_field_versions')"))).scalar_one()
    )


async def key_taken(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> bool:
    query = select(CustomField.id).where(CustomField.tenant_id == tenant_id, CustomField.key == key)
    return (await session.execute(query)).first() is not None


def add_field(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    key: str,
    label: str,
    field_type: FieldType,
    required: bool,
    choices: list[str],
    position: int,
    version: int,
) -> CustomField:
    field = CustomField(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        key=key,
        label=label,
        type=field_type,
        required=required,
        choices=choices,
        position=position,
        version=version,
    )
    session.add(field)
    return field


async def delete_field(session: AsyncSession, field: CustomField) -> None:
    await session.delete(field)


async def users_with_value(
    session: AsyncSession, tenant_id: uuid.UUID, field_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await session.execute(
        text("SELECT id FROM users WHERE tenant_id = :tenant AND custom_fields ? :field"),
        {"tenant": tenant_id, "field": str(field_id)},
    )
    return list(rows.scalars())
