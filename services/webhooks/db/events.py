"""Events as their payloads, and the deliveries they queue: one per active subscription."""

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.models import EventRecord
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Delivery, Payload


async def lock_ordering_key(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> None:
    """Until the transaction ends: two events about the same thing (a user: two replicas
    consuming) are taken one after the other, so each compares itself with the snapshot
    the other left, and their deliveries are queued in that order."""
    name = f"webhooks:{tenant_id}:{key}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0))))


# The event is kept (once, whatever the redeliveries) and a delivery queued for each
# active subscription of its tenant, in one statement (one round trip per event).
_STORE_AND_QUEUE = text(
    """
WITH stored AS (
    INSERT INTO webhook_events (tenant_id, id, event, occurred_at, ordering_key, payload)
    VALUES (:tenant_id, :event_id, :event, :occurred_at, :ordering_key, CAST(:payload AS json))
    ON CONFLICT DO NOTHING
)
INSERT INTO deliveries
    (tenant_id, id, hook_id, event_id, target_key, ordering_key, occurred_at)
SELECT h.tenant_id, gen_random_uuid(), h.id, :event_id, h.target_key, :ordering_key,
       :occurred_at
FROM hooks h
WHERE h.tenant_id = :tenant_id AND h.event = :event AND h.state = 'active'
ON CONFLICT DO NOTHING
"""
)


async def store_and_queue(session: AsyncSession, delivery: Delivery) -> None:
    await session.execute(
        _STORE_AND_QUEUE,
        {
            "tenant_id": delivery.tenant_id,
            "event_id": delivery.id,
            "event": delivery.event.value,
            "occurred_at": delivery.occurred_at,
            "ordering_key": delivery.ordering_key,
            "payload": json.dumps(delivery.payload, ensure_ascii=False),
        },
    )


async def recent_payloads(
    session: AsyncSession, tenant_id: uuid.UUID, event: WebhookEvent, limit: int
) -> Sequence[Payload]:
    query = (
        select(EventRecord.payload)
        .where(EventRecord.tenant_id == tenant_id, EventRecord.event == event.value)
        .order_by(EventRecord.occurred_at.desc(), EventRecord.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()
