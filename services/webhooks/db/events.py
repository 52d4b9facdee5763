"""Events as their payloads, and the deliveries they queue: one per active subscription."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.db.models import DeliveryJob, EventRecord, Hook
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Delivery, Payload
from services.webhooks.domain.states import HookState


async def store_event(session: AsyncSession, delivery: Delivery) -> None:
    await session.execute(
        insert(EventRecord)
        .values(
            tenant_id=delivery.tenant_id,
            id=delivery.id,
            event=delivery.event.value,
            occurred_at=delivery.occurred_at,
            ordering_key=delivery.ordering_key,
            payload=delivery.payload,
        )
        .on_conflict_do_nothing()
    )


async def queue_for_subscribers(session: AsyncSession, delivery: Delivery) -> int:
    """A delivery for each active subscription to the event in its tenant (none twice)."""
    subscribers = select(
        Hook.tenant_id,
        func.gen_random_uuid(),
        Hook.id,
        literal(delivery.id),
        literal(delivery.ordering_key),
        literal(delivery.occurred_at),
    ).where(
        Hook.tenant_id == delivery.tenant_id,
        Hook.event == delivery.event.value,
        Hook.state == HookState.ACTIVE,
    )
    result = await session.execute(
        insert(DeliveryJob)
        .from_select(
            ["tenant_id", "id", "hook_id", "event_id", "ordering_key", "occurred_at"], subscribers
        )
        .on_conflict_do_nothing()
        .returning(DeliveryJob.id)
    )
    return len(result.all())


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
