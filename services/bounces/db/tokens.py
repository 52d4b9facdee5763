"""Mailgun's single-use tokens."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.bounces.db.models import MailgunToken, table_of

_TABLE = table_of(MailgunToken)
_CLAIM = insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.token)


async def claim(session: AsyncSession, token: str, seen_at: datetime) -> bool:
    """False when the token was used before (a replayed request)."""
    result = await session.execute(_CLAIM, {"token": token, "seen_at": seen_at})
    return result.first() is not None


async def purge(session: AsyncSession, seen_before: datetime) -> int:
    result = await session.execute(delete(MailgunToken).where(MailgunToken.seen_at < seen_before))
    return int(result.rowcount)  # type: ignore[attr-defined]
