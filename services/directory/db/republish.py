"""Reading every user in batches, in (tenant, id) order, for `republish`."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from services.directory.db.models import Tenant, User


async def tenant_ids(session: AsyncSession, slug: str | None) -> list[uuid.UUID]:
    """The tenant of that slug (none if unknown), or every tenant."""
    query = select(Tenant.id).order_by(Tenant.id)
    if slug is not None:
        query = query.where(Tenant.slug == slug)
    return list((await session.execute(query)).scalars())


async def users_after(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> Sequence[User]:
    """The next `limit` users of the tenant by id (the primary key's order: no sort), with
    their `group_ids` (the snapshots' groups)."""
    query = select(User).options(undefer(User.group_ids)).where(User.tenant_id == tenant_id)
    if after is not None:
        query = query.where(tuple_(User.tenant_id, User.id) > tuple_(tenant_id, after))
    query = query.order_by(User.tenant_id, User.id).limit(limit)
    return (await session.execute(query)).scalars().all()
