"""A provider delivered a message to an address: its soft bounces before no longer count,
and a suppression for bounces that happened before the delivery is lifted (never one for a
complaint: domain/suppression.py)."""

import uuid

from services.invitations.db import bounce_counters, suppressions
from services.invitations.domain import suppression
from services.invitations.domain.addresses import normalize_email
from services.invitations.usecases import events
from shared.contracts.email import EmailDelivered
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def record_delivery(uow: UnitOfWork, tenant_id: uuid.UUID, delivered: EmailDelivered) -> None:
    email = normalize_email(delivered.email)
    streak = await bounce_counters.lock_streak(uow.session, tenant_id, email)
    after = suppression.after_delivery(streak, delivered.occurred_at)
    if after != streak:
        await bounce_counters.store_streak(uow.session, tenant_id, email, after)
    listed = await suppressions.listing(uow.session, tenant_id, email)
    if listed is None or not suppression.lifted_by_delivery(listed, delivered.occurred_at, after):
        return
    await suppressions.remove(uow.session, tenant_id, email)
    uow.emit(events.suppression_lifted(tenant_id, email, listed, delivered.occurred_at, None))
    log.info("suppression lifted by a later delivery", cause=listed.cause.value)
