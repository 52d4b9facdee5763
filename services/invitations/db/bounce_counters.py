"""Each address's bounces since its latest delivery or lift (domain/suppression.py:
BounceStreak)."""

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.models import BounceCounter
from services.invitations.domain.suppression import BounceStreak


async def lock_streak(
    session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str
) -> BounceStreak:
    """The address's streak, its row locked until the transaction ends: every notice and
    lift about one address is applied one after the other."""
    await session.execute(
        insert(BounceCounter)
        .values(tenant_id=tenant_id, email_normalized=email_normalized)
        .on_conflict_do_nothing()
    )
    row = (
        await session.execute(
            select(
                BounceCounter.reset_at, BounceCounter.soft_bounces, BounceCounter.hard_bounced_at
            )
            .where(
                BounceCounter.tenant_id == tenant_id,
                BounceCounter.email_normalized == email_normalized,
            )
            .with_for_update()
        )
    ).one()
    return BounceStreak(row.reset_at, tuple(sorted(row.soft_bounces)), row.hard_bounced_at)


async def store_streak(
    session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str, streak: BounceStreak
) -> None:
    await session.execute(
        update(BounceCounter)
        .where(
            BounceCounter.tenant_id == tenant_id,
            BounceCounter.email_normalized == email_normalized,
        )
        .values(
            reset_at=streak.reset_at,
            soft_bounces=list(streak.soft_bounces),
            hard_bounced_at=streak.hard_bounced_at,
            updated_at=func.now(),
        )
    )
