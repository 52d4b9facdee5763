"""Recording how a sending went. These run for every e-mail, so their statements are
built once, here, and only executed per call (successes in batches)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.models import Delivery
from services.invitations.db.tables import deliveries, invitations
from services.invitations.domain.sending import MailKind

_DELIVERY = and_(
    deliveries.c.tenant_id == bindparam("k_tenant"), deliveries.c.id == bindparam("k_delivery")
)
_SENT = (
    update(deliveries)
    .where(_DELIVERY)
    .values(state="sent", sent_at=bindparam("at"), last_error=None)
)
# An e-mail that did not go out holds no usable link.
_RETRY = (
    update(deliveries)
    .where(_DELIVERY)
    .values(
        state="pending",
        next_attempt_at=bindparam("at"),
        last_error=bindparam("error"),
        token_hash=None,
    )
)
_RELEASE = (
    update(deliveries)
    .where(_DELIVERY)
    .values(
        state="pending",
        next_attempt_at=func.now(),
        attempts=deliveries.c.attempts - 1,
        token_hash=None,
    )
)
_CLOSE = (
    update(deliveries)
    .where(_DELIVERY)
    .values(state=bindparam("new_state"), last_error=bindparam("error"), token_hash=None)
)

_INVITATION_SENT = (
    update(invitations)
    .where(
        invitations.c.tenant_id == bindparam("k_tenant"),
        invitations.c.id == bindparam("k_invitation"),
    )
    .values(
        first_sent_at=func.coalesce(invitations.c.first_sent_at, bindparam("at")),
        expires_at=bindparam("expires"),
    )
)


def _key(delivery: Delivery) -> dict[str, Any]:
    return {"k_tenant": delivery.tenant_id, "k_delivery": delivery.id}


@dataclass(frozen=True)
class Sent:
    delivery: Delivery
    at: datetime
    link_expires_at: datetime


async def mark_sent(session: AsyncSession, sent: Sequence[Sent]) -> None:
    """Record e-mails the server accepted: a few statements for any number of them."""
    await session.execute(_SENT, [{**_key(s.delivery), "at": s.at} for s in sent])
    invitations_sent = [
        {
            "k_tenant": s.delivery.tenant_id,
            "k_invitation": s.delivery.invitation_id,
            "at": s.at,
            "expires": s.link_expires_at,
        }
        for s in sent
        if s.delivery.kind == MailKind.INVITATION.value
    ]
    if invitations_sent:
        await session.execute(_INVITATION_SENT, invitations_sent)


async def mark_for_retry(
    session: AsyncSession, delivery: Delivery, at: datetime, error: str
) -> None:
    await session.execute(_RETRY, {**_key(delivery), "at": at, "error": error[:2000]})


async def close(session: AsyncSession, delivery: Delivery, state: str, reason: str) -> None:
    """`failed` or `cancelled`, with the reason."""
    await session.execute(_CLOSE, {**_key(delivery), "new_state": state, "error": reason[:2000]})


async def release(session: AsyncSession, claimed: Sequence[Delivery]) -> None:
    if claimed:
        await session.execute(_RELEASE, [_key(delivery) for delivery in claimed])
