"""The suppression list: addresses (per tenant) that must not be mailed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.models import Suppression
from services.invitations.domain.suppression import NoticeSource, SuppressedAddress

DETAIL_MAX = 1000


async def listing(
    session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str
) -> SuppressedAddress | None:
    """The address's listing, locked until the transaction ends."""
    row = (
        await session.execute(
            select(Suppression.cause, Suppression.detail, Suppression.since)
            .where(
                Suppression.tenant_id == tenant_id,
                Suppression.email_normalized == email_normalized,
            )
            .with_for_update()
        )
    ).one_or_none()
    return SuppressedAddress(row.cause, row.detail, row.since) if row is not None else None


async def put(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    email_normalized: str,
    listed: SuppressedAddress,
    source: NoticeSource,
) -> None:
    """List the address, or replace its listing (its `created_at` stays the first one)."""
    values: dict[str, Any] = {
        "cause": listed.cause,
        "detail": listed.detail[:DETAIL_MAX],
        "since": listed.since,
        "source_event_id": source.event_id,
        "source_event_type": source.event_type,
        "provider": source.provider[:40],
        "provider_event_id": source.provider_event_id,
    }
    statement = insert(Suppression).values(
        tenant_id=tenant_id, email_normalized=email_normalized, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Suppression.tenant_id, Suppression.email_normalized],
            set_={name: statement.excluded[name] for name in values},
        )
    )


async def remove(session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str) -> None:
    await session.execute(
        delete(Suppression).where(
            Suppression.tenant_id == tenant_id,
            Suppression.email_normalized == email_normalized,
        )
    )


async def page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[Suppression]:
    """Newest listings first, `limit` of them after the position `before` (keyset on
    `ix_suppressions_listed`)."""
    query = select(Suppression).where(Suppression.tenant_id == tenant_id)
    if before is not None:
        query = query.where(
            tuple_(Suppression.created_at, Suppression.email_normalized) < tuple_(*before)
        )
    query = query.order_by(
        Suppression.created_at.desc(), Suppression.email_normalized.desc()
    ).limit(limit)
    return list((await session.execute(query)).scalars())
