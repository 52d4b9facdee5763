"""Known devices: the browsers a user logged in from (domain/known_devices.py)."""

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import KnownDevice


async def device_owner(
    session: AsyncSession, tenant_id: uuid.UUID, token_hash: bytes, used_since: datetime
) -> uuid.UUID | None:
    """The user a device belongs to, if it was used since `used_since`."""
    query = select(KnownDevice.user_id).where(
        KnownDevice.tenant_id == tenant_id,
        KnownDevice.token_hash == token_hash,
        KnownDevice.last_used_at >= used_since,
    )
    owner: uuid.UUID | None = (await session.execute(query)).scalar_one_or_none()
    return owner


def add_device(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: bytes,
    now: datetime,
) -> None:
    session.add(
        KnownDevice(
            tenant_id=tenant_id,
            token_hash=token_hash,
            user_id=user_id,
            created_at=now,
            last_used_at=now,
        )
    )


async def device_used(
    session: AsyncSession, tenant_id: uuid.UUID, token_hash: bytes, now: datetime
) -> None:
    await session.execute(
        update(KnownDevice)
        .where(KnownDevice.tenant_id == tenant_id, KnownDevice.token_hash == token_hash)
        .values(last_used_at=now)
    )


async def forget_user_devices(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        delete(KnownDevice).where(
            KnownDevice.tenant_id == tenant_id, KnownDevice.user_id == user_id
        )
    )
