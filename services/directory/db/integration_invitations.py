"""The invitations integrations asked for, by request id (a retried request is answered
with the user the first one created)."""

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import IntegrationInvitation


async def claim_request(
    session: AsyncSession, tenant_id: uuid.UUID, request_id: uuid.UUID, email_normalized: str
) -> bool:
    """Record the request; False when it was recorded before. A second transaction with
    the same request waits here until the first ends, then sees its row."""
    result = await session.execute(
        insert(IntegrationInvitation)
        .values(tenant_id=tenant_id, request_id=request_id, email_normalized=email_normalized)
        .on_conflict_do_nothing()
        .returning(IntegrationInvitation.request_id)
    )
    return result.first() is not None


async def invited_by_request(
    session: AsyncSession, tenant_id: uuid.UUID, request_id: uuid.UUID
) -> tuple[uuid.UUID, str] | None:
    """The user the request invited, and the address it asked for."""
    query = select(IntegrationInvitation.user_id, IntegrationInvitation.email_normalized).where(
        IntegrationInvitation.tenant_id == tenant_id,
        IntegrationInvitation.request_id == request_id,
        IntegrationInvitation.user_id.is_not(None),
    )
    row = (await session.execute(query)).first()
    return None if row is None or row[0] is None else (row[0], row[1])


async def record_invited(
    session: AsyncSession, tenant_id: uuid.UUID, request_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        update(IntegrationInvitation)
        .where(
            IntegrationInvitation.tenant_id == tenant_id,
            IntegrationInvitation.request_id == request_id,
        )
        .values(user_id=user_id)
    )
