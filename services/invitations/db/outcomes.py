"""Recording how a sending went. These run for every e-mail, so their statements are
built once, here, and only executed per call (in batches where they can be)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.tables import deliveries, invitations
from services.invitations.domain.emails import DeliveryState, Email, MailKind

_DELIVERY = and_(
    deliveries.c.tenant_id == bindparam("k_tenant"), deliveries.c.id == bindparam("k_delivery")
)
# Sent: the link stays usable by its hash; the nonce it was derived from is no longer needed.
_SENT = (
    update(deliveries)
    .where(_DELIVERY)
    .values(state=DeliveryState.SENT, sent_at=bindparam("at"), last_error=None, token_nonce=None)
)
# An e-mail that surely did not go out holds no usable link.
_RETRY = (
    update(deliveries)
    .where(_DELIVERY)
    .values(
        state=DeliveryState.PENDING,
        next_attempt_at=bindparam("at"),
        last_error=bindparam("error"),
        token_hash=None,
        token_nonce=None,
    )
)
# One that may have arrived keeps its link (and stays `sending`): the retry resends it.
_RETRY_SAME = (
    update(deliveries)
    .where(_DELIVERY)
    .values(next_attempt_at=bindparam("at"), last_error=bindparam("error"))
)
_RELEASE_NEW = (
    update(deliveries)
    .where(_DELIVERY)
    .values(
        state=DeliveryState.PENDING,
        next_attempt_at=func.now(),
        attempts=deliveries.c.attempts - 1,
        token_hash=None,
        token_nonce=None,
    )
)
_RELEASE_RESEND = (
    update(deliveries)
    .where(_DELIVERY)
    .values(next_attempt_at=func.now(), attempts=deliveries.c.attempts - 1)
)
_CLOSE = (
    update(deliveries)
    .where(_DELIVERY)
    .values(
        state=bindparam("new_state"),
        last_error=bindparam("error"),
        token_hash=None,
        token_nonce=None,
    )
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


def _key(email: Email) -> dict[str, Any]:
    return {"k_tenant": email.tenant_id, "k_delivery": email.delivery_id}


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[Email, datetime]]) -> None:
    """Record e-mails the server accepted: a few statements for any number of them."""
    await session.execute(_SENT, [{**_key(email), "at": at} for email, at in sent])
    invitations_sent = [
        {
            "k_tenant": email.tenant_id,
            "k_invitation": email.invitation_id,
            "at": at,
            "expires": email.link.issued.expires_at,
        }
        for email, at in sent
        if email.kind is MailKind.INVITATION and email.link is not None
    ]
    if invitations_sent:
        await session.execute(_INVITATION_SENT, invitations_sent)


async def first_sent(
    session: AsyncSession, users: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
    """When each (tenant, user) was first sent an invitation, any request, as recorded now
    (a resend claimed before the first e-mail's outcome was recorded does not know it)."""
    if not users:
        return {}
    query = (
        select(
            invitations.c.tenant_id, invitations.c.user_id, func.min(invitations.c.first_sent_at)
        )
        .where(tuple_(invitations.c.tenant_id, invitations.c.user_id).in_(list(users)))
        .group_by(invitations.c.tenant_id, invitations.c.user_id)
    )
    rows = await session.execute(query)
    return {(tenant, user): at for tenant, user, at in rows if at is not None}


async def mark_for_retry(
    session: AsyncSession, email: Email, at: datetime, error: str, *, same_email: bool
) -> None:
    statement = _RETRY_SAME if same_email else _RETRY
    await session.execute(statement, {**_key(email), "at": at, "error": error[:2000]})


async def close(session: AsyncSession, email: Email, state: DeliveryState, reason: str) -> None:
    """`failed` or `cancelled`, with the reason: its link dies."""
    await session.execute(_CLOSE, {**_key(email), "new_state": state, "error": reason[:2000]})


async def release(session: AsyncSession, claimed: Sequence[Email]) -> None:
    """Claimed but not tried: due again now, the attempt not counted. One that may be in
    an inbox already stays `sending` with its link."""
    for resend, statement in ((False, _RELEASE_NEW), (True, _RELEASE_RESEND)):
        keys = [_key(email) for email in claimed if email.is_resend is resend]
        if keys:
            await session.execute(statement, keys)
