"""Counting form submissions in fixed windows, shared by every replica."""

from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.models import AcceptThrottle


async def count_hit(
    session: AsyncSession, key: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Count one submission for `key`; returns the count in the window and its start."""
    statement = insert(AcceptThrottle).values(key=key, window_started_at=now, count=1)
    window_over = AcceptThrottle.window_started_at <= now - window
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[AcceptThrottle.key],
            set_={
                "count": case((window_over, 1), else_=AcceptThrottle.count + 1),
                "window_started_at": case(
                    (window_over, now), else_=AcceptThrottle.window_started_at
                ),
            },
        ).returning(AcceptThrottle.count, AcceptThrottle.window_started_at)
    )
    count, started = result.one()
    return int(count), started


async def purge_expired(session: AsyncSession, now: datetime, window: timedelta) -> None:
    await session.execute(
        delete(AcceptThrottle).where(AcceptThrottle.window_started_at < now - window)
    )
