"""The projection of users: each snapshot kept unless the one kept is as new or newer."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.exports.db.models import ProjectedField, ProjectedUser
from services.exports.domain.projection import FieldSeen
from shared.contracts.custom_fields import CustomFieldDefined

KEY = ("tenant_id", "id")


async def keep_if_newer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert the user, or replace the row if this version is newer; whether it was kept."""
    statement = insert(ProjectedUser).values(values)
    upsert = statement.on_conflict_do_update(
        index_elements=[ProjectedUser.tenant_id, ProjectedUser.id],
        set_={name: statement.excluded[name] for name in values if name not in KEY},
        where=ProjectedUser.version < statement.excluded.version,
    ).returning(ProjectedUser.version)
    return (await session.execute(upsert)).first() is not None


async def remember_fields(
    session: AsyncSession, tenant_id: uuid.UUID, fields: Sequence[FieldSeen]
) -> None:
    """Fields the snapshots name: added if unknown; their label, type and place followed
    (from the most recently changed user) only until the field's definition arrives."""
    if not fields:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "key": f.key,
            "label": f.label,
            "type": f.type,
            "position": f.position,
            "seen_at": f.seen_at,
        }
        for f in fields
    ]
    statement = insert(ProjectedField).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ProjectedField.tenant_id, ProjectedField.key],
            set_={n: statement.excluded[n] for n in ("label", "type", "position", "seen_at")},
            where=(ProjectedField.version == 0)
            & (ProjectedField.seen_at < statement.excluded.seen_at),
        )
    )


async def keep_definition_if_newer(
    session: AsyncSession, definition: CustomFieldDefined, *, deleted: bool
) -> bool:
    """The field's definition (or its deletion) unless a newer one is kept; whether it was."""
    values = {
        "tenant_id": definition.tenant_id,
        "key": definition.key,
        "label": definition.label,
        "type": definition.type.value,
        "position": definition.position,
        "choices": list(definition.choices),
        "version": definition.version,
        "deleted": deleted,
        "seen_at": func.now(),
    }
    statement = insert(ProjectedField).values(values)
    upsert = statement.on_conflict_do_update(
        index_elements=[ProjectedField.tenant_id, ProjectedField.key],
        set_={
            name: statement.excluded[name] for name in values if name not in ("tenant_id", "key")
        },
        where=ProjectedField.version < statement.excluded.version,
    ).returning(ProjectedField.version)
    return (await session.execute(upsert)).first() is not None


async def tenant_fields(session: AsyncSession, tenant_id: uuid.UUID) -> list[ProjectedField]:
    query = (
        select(ProjectedField)
        .where(ProjectedField.tenant_id == tenant_id, ProjectedField.deleted.is_(False))
        .order_by(ProjectedField.position, ProjectedField.key)
    )
    return list((await session.execute(query)).scalars())


async def user_locale(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> str | None:
    query = select(ProjectedUser.locale).where(
        ProjectedUser.tenant_id == tenant_id, ProjectedUser.id == user_id
    )
    return (await session.execute(query)).scalar()


async def count_users(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    query = select(func.count()).where(ProjectedUser.tenant_id == tenant_id)
    return int((await session.execute(query)).scalar_one())
