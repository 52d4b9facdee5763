"""Opening an invitation link, and accepting it with a chosen password."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db import deliveries as deliveries_db
from services.invitations.db import invitations as invitations_db
from services.invitations.db import throttle as throttle_db
from services.invitations.db.models import Invitation
from services.invitations.domain.links import (
    LinkFacts,
    LinkStatus,
    link_status,
    token_has_valid_shape,
)
from services.invitations.domain.throttle import wait_needed
from services.invitations.usecases import events
from shared.messaging.outbox import enqueue
from shared.security.tokens import token_hash

ACCEPTED = "accepted"


@dataclass(frozen=True)
class OpenedLink:
    status: LinkStatus
    invitation: Invitation | None = None  # only for a link that is usable or expired
    expires_at: datetime | None = None


async def open_link(
    session: AsyncSession, token: str, now: datetime, *, for_update: bool = False
) -> OpenedLink:
    if not token_has_valid_shape(token):
        return OpenedLink(LinkStatus.UNUSABLE)
    found = await deliveries_db.find_by_token(session, token_hash(token), for_update=for_update)
    if found is None:
        return OpenedLink(LinkStatus.UNUSABLE)
    invitation, expires_at = found
    status = link_status(LinkFacts(invitation.accepted_at, invitation.revoked_at, expires_at), now)
    if status is LinkStatus.UNUSABLE:
        return OpenedLink(status)
    return OpenedLink(status, invitation, expires_at)


async def accept(
    session: AsyncSession, token: str, sealed_password_hash: str, now: datetime
) -> LinkStatus:
    """Use the link (once): the invitation is accepted, every other link of the user dies,
    and the directory hears `invitation.accepted`. Returns the link's status before."""
    link = await open_link(session, token, now, for_update=True)
    if link.status is not LinkStatus.USABLE or link.invitation is None:
        return link.status
    invitation = link.invitation
    invitation.accepted_at = now
    await invitations_db.revoke_open(
        session, invitation.tenant_id, invitation.user_id, ACCEPTED, now, keep=invitation.id
    )
    await enqueue(session, events.accepted(invitation, sealed_password_hash, now))
    return LinkStatus.USABLE


@dataclass(frozen=True)
class Allowance:
    key: str
    limit: int


async def throttle_wait(
    session: AsyncSession, allowances: list[Allowance], now: datetime, window: timedelta
) -> timedelta | None:
    """Count this submission against each allowance; the longest wait if any is spent."""
    waits = []
    for allowance in allowances:
        count, started = await throttle_db.count_hit(session, allowance.key, now, window)
        waits.append(wait_needed(count, allowance.limit, started, window, now))
    return max((w for w in waits if w is not None), default=None)
