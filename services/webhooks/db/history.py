"""What the service no longer needs: old attempts, finished deliveries, old events (but
the few newest of each kind per tenant, Zapier's samples)."""

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 5_000

_PURGES = (
    text(
        "DELETE FROM delivery_attempts WHERE (tenant_id, id) IN (SELECT tenant_id, id"
        " FROM delivery_attempts WHERE at < :before LIMIT :batch)"
    ),
    text(
        "DELETE FROM deliveries WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM deliveries"
        " WHERE state IN ('delivered', 'failed') AND finished_at < :before LIMIT :batch)"
    ),
    text(
        """
DELETE FROM webhook_events WHERE (tenant_id, id) IN (
    SELECT ev.tenant_id, ev.id FROM webhook_events ev
    WHERE ev.received_at < :before
      AND NOT EXISTS (SELECT 1 FROM deliveries d
                      WHERE d.tenant_id = ev.tenant_id AND d.event_id = ev.id)
      AND ev.id NOT IN (SELECT newest.id FROM webhook_events newest
                        WHERE newest.tenant_id = ev.tenant_id AND newest.event = ev.event
                        ORDER BY newest.occurred_at DESC LIMIT :keep)
    LIMIT :batch)
"""
    ),
)


async def purge_batch(session: AsyncSession, step: int, before: datetime, keep: int) -> int:
    """Delete one batch of purge `step` (0, 1, 2, in that order); how many went."""
    result = await session.execute(_PURGES[step], {"before": before, "batch": BATCH, "keep": keep})
    return int(result.rowcount)  # type: ignore[attr-defined]


PURGE_STEPS = len(_PURGES)
