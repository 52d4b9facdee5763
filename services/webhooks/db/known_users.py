"""The newest snapshot of each user, kept from the bus."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.models import KnownUser
from shared.contracts.users import UserSnapshot


async def find_user(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> KnownUser | None:
    query = select(KnownUser).where(KnownUser.tenant_id == tenant_id, KnownUser.user_id == user_id)
    return (await session.scalars(query)).first()


async def remember(
    session: AsyncSession, user: UserSnapshot, event: str, event_id: str, occurred_at: datetime
) -> None:
    """Keep the snapshot unless the one kept is as new or newer."""
    values = {
        "tenant_id": user.tenant_id,
        "user_id": user.id,
        "version": user.version,
        "email_key": user.email.lower(),
        "snapshot": user.model_dump(mode="json"),
        "event": event,
        "event_id": event_id,
        "occurred_at": occurred_at,
    }
    statement = insert(KnownUser).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[KnownUser.tenant_id, KnownUser.user_id],
            set_={k: statement.excluded[k] for k in values if k not in ("tenant_id", "user_id")},
            where=KnownUser.version < statement.excluded.version,
        )
    )


async def find_by_email(
    session: AsyncSession, tenant_id: uuid.UUID, email: str
) -> KnownUser | None:
    query = (
        select(KnownUser)
        .where(KnownUser.tenant_id == tenant_id, KnownUser.email_key == email.lower())
        .order_by(KnownUser.occurred_at.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()
