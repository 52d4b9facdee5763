"""Bounces and complaints feed the tenant's suppression list (the rules:
domain/suppression.py). Every notice about an address locks its bounce counter first, so
notices about one address apply one after the other."""

import uuid

from services.invitations.db import bounce_counters, suppressions
from services.invitations.domain import suppression
from services.invitations.domain.addresses import normalize_email
from services.invitations.domain.suppression import NoticeSource, SuppressedAddress
from shared.contracts.email import EMAIL_BOUNCED, EMAIL_COMPLAINED, EmailBounced, EmailComplained
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def suppress_after_bounce(
    uow: UnitOfWork, tenant_id: uuid.UUID, event_id: str, bounce: EmailBounced
) -> None:
    """A hard bounce lists the address; soft ones count, and list it once they are
    SOFT_BOUNCES_TO_SUPPRESS in a row. None does if a delivery happened after it."""
    email = normalize_email(bounce.email)
    streak = await bounce_counters.lock_streak(uow.session, tenant_id, email)
    after, listed = suppression.after_bounce(streak, bounce.kind, bounce.reason, bounce.occurred_at)
    if after != streak:
        await bounce_counters.store_streak(uow.session, tenant_id, email, after)
    if listed is not None:
        source = NoticeSource(event_id, EMAIL_BOUNCED, bounce.provider, bounce.provider_event_id)
        await _list(uow, tenant_id, email, listed, source)


async def suppress_after_complaint(
    uow: UnitOfWork, tenant_id: uuid.UUID, event_id: str, complaint: EmailComplained
) -> None:
    email = normalize_email(complaint.email)
    await bounce_counters.lock_streak(uow.session, tenant_id, email)
    listed = suppression.after_complaint(complaint.feedback_type, complaint.occurred_at)
    source = NoticeSource(
        event_id, EMAIL_COMPLAINED, complaint.provider, complaint.provider_event_id
    )
    await _list(uow, tenant_id, email, listed, source)


async def _list(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    email: str,
    notice: SuppressedAddress,
    source: NoticeSource,
) -> None:
    current = await suppressions.listing(uow.session, tenant_id, email)
    listed = suppression.listing_after(current, notice)
    if listed is not None:
        await suppressions.put(uow.session, tenant_id, email, listed, source)
        log.info("address suppressed", cause=listed.cause.value, source_event_id=source.event_id)
