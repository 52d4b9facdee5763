"""Mailgun's single-use tokens."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.bounces.db.models import MailgunToken


async def claim(session: AsyncSession, token: str, seen_at: datetime) -> bool:
    """False when the token was used before (a replayed request)."""
    result = await session.execute(
        insert(MailgunToken)
        .values(token=token, seen_at=seen_at)
        .on_conflict_do_nothing()
        .returning(MailgunToken.token)
    )
    return result.first() is not None


async def purge(session: AsyncSession, seen_before: datetime) -> int:
    result = await session.execute(delete(MailgunToken).where(MailgunToken.seen_at < seen_before))
    return int(result.rowcount)  # type: ignore[attr-defined]
