"""Purges what the outbox and inbox no longer need."""

from datetime import timedelta

from sqlalchemy import text

from shared.db import Database

PURGE_BATCH = 10_000

_PURGES = (
    text(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
        " WHERE published_at < now() - CAST(:retention AS interval) LIMIT :batch)"
    ),
    text(
        "DELETE FROM processed_messages WHERE (consumer, message_id) IN"
        " (SELECT consumer, message_id FROM processed_messages"
        " WHERE processed_at < now() - CAST(:retention AS interval) LIMIT :batch)"
    ),
)


async def purge_old_messages(db: Database, retention: timedelta) -> int:
    """Delete published outbox rows and inbox records older than `retention`, in batches."""
    removed = 0
    for statement in _PURGES:
        while True:
            async with db.transaction() as session:
                result = await session.execute(
                    statement, {"retention": retention, "batch": PURGE_BATCH}
                )
            count: int = result.rowcount  # type: ignore[attr-defined]
            removed += count
            if count < PURGE_BATCH:
                break
    return removed
