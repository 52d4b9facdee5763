"""The record of every attempt, listed per subscription, newest first."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.models import DeliveryAttempt


@dataclass(frozen=True)
class AttemptPage:
    items: Sequence[DeliveryAttempt]
    total: int
    more: bool


async def page_attempts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    hook_id: uuid.UUID,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> AttemptPage:
    """A page of the hook's attempts, newest first, after the keyset position `before`."""
    where = [DeliveryAttempt.tenant_id == tenant_id, DeliveryAttempt.hook_id == hook_id]
    query = select(DeliveryAttempt).where(*where)
    if before is not None:
        query = query.where(tuple_(DeliveryAttempt.at, DeliveryAttempt.id) < before)
    query = query.order_by(DeliveryAttempt.at.desc(), DeliveryAttempt.id.desc()).limit(limit + 1)
    rows = (await session.scalars(query)).all()
    total = await session.scalar(select(func.count()).select_from(DeliveryAttempt).where(*where))
    return AttemptPage(rows[:limit], int(total or 0), len(rows) > limit)
