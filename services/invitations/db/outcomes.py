"""Recording how a sending went. These run for every e-mail, so their statements are
built once, here, and only executed per call (in batches where they can be)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.tables import deliveries
from services.invitations.domain.emails import INVITATION_KINDS, DeliveryState, Email, MailKind

_DELIVERY = and_(
    deliveries.c.tenant_id == bindparam("k_tenant"), deliveries.c.id == bindparam("k_delivery")
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


def _key(email: Email) -> dict[str, Any]:
    return {"k_tenant": email.tenant_id, "k_delivery": email.delivery_id}


# E-mails the server accepted, in one statement for any number of them: each delivery
# `sent`, each invitation's first sending and expiry, and when each user of an invitation
# e-mail was first sent one, any request (the CTEs see the rows as they were before the
# statement: the invitations updated here count with their new values).
_MARK_SENT = text(
    """
    WITH input AS (
        SELECT * FROM unnest(
            CAST(:tenant_ids AS uuid[]), CAST(:delivery_ids AS uuid[]),
            CAST(:ats AS timestamptz[]), CAST(:invitation_ids AS uuid[]),
            CAST(:expires AS timestamptz[]), CAST(:user_ids AS uuid[])
        ) AS r(tenant_id, delivery_id, at, invitation_id, expires_at, user_id)
    ), delivered AS (
        UPDATE deliveries d
        SET state = :sent, sent_at = input.at, last_error = NULL, token_nonce = NULL
        FROM input
        WHERE d.tenant_id = input.tenant_id AND d.id = input.delivery_id
    ), invited AS (
        UPDATE invitations i
        SET first_sent_at = coalesce(i.first_sent_at, input.at), expires_at = input.expires_at
        FROM input
        WHERE input.expires_at IS NOT NULL
          AND i.tenant_id = input.tenant_id AND i.id = input.invitation_id
        RETURNING i.tenant_id, i.user_id, i.first_sent_at
    ), users AS (
        SELECT DISTINCT tenant_id, user_id FROM input WHERE user_id IS NOT NULL
    )
    SELECT u.tenant_id, u.user_id, min(f.first_sent_at) AS first_sent_at
    FROM users u
    JOIN (
        SELECT tenant_id, user_id, first_sent_at FROM invited
        UNION ALL
        SELECT i.tenant_id, i.user_id, i.first_sent_at FROM invitations i
        JOIN users ON i.tenant_id = users.tenant_id AND i.user_id = users.user_id
    ) f ON f.tenant_id = u.tenant_id AND f.user_id = u.user_id
    GROUP BY u.tenant_id, u.user_id
    """
)


async def mark_sent(
    session: AsyncSession, sent: Sequence[tuple[Email, datetime]]
) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
    """Record e-mails the server accepted, in one statement for any number of them; when
    each user of an invitation e-mail among them (`INVITATION_KINDS`) was first sent an
    invitation, any request, as recorded now (this sending included; a resend claimed
    before the first e-mail's outcome was recorded does not know it)."""
    if not sent:
        return {}

    def invitation_sent(email: Email) -> bool:
        return email.kind is MailKind.INVITATION and email.link is not None

    params = {
        "tenant_ids": [email.tenant_id for email, _ in sent],
        "delivery_ids": [email.delivery_id for email, _ in sent],
        "ats": [at for _, at in sent],
        "invitation_ids": [email.invitation_id for email, _ in sent],
        "expires": [
            email.link.issued.expires_at if invitation_sent(email) and email.link else None
            for email, _ in sent
        ],
        "user_ids": [
            email.user_id if email.kind in INVITATION_KINDS else None for email, _ in sent
        ],
        "sent": DeliveryState.SENT.value,
    }
    rows = await session.execute(_MARK_SENT, params)
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
