"""API keys: stored by their hash, looked up by it on every request."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.models import ApiKey


async def add_key(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    name: str,
    prefix: str,
    key_hash: bytes,
    created_by: uuid.UUID | None,
) -> ApiKey:
    key = ApiKey(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    await session.refresh(key, ["created_at"])
    return key


async def list_keys(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[ApiKey]:
    query = (
        select(ApiKey)
        .where(ApiKey.tenant_id == tenant_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
    )
    return (await session.scalars(query)).all()


async def find_usable(session: AsyncSession, key_hash: bytes) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    return (await session.scalars(query)).first()


async def touch(
    session: AsyncSession, key: ApiKey, now: datetime, at_most_every: timedelta
) -> None:
    """Record the key's use, at most once per `at_most_every` (not a write per request)."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.tenant_id == key.tenant_id,
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - at_most_every),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke(
    session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, now: datetime
) -> ApiKey | None:
    """Mark the key revoked (once); None when the tenant has no such key."""
    query = (
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id).with_for_update()
    )
    key = (await session.scalars(query)).first()
    if key is not None and key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
    return key
