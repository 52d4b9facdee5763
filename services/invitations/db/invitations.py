"""Queries on invitations: revoking the open ones of a user, and their unsent e-mails."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.tables import deliveries, invitations
from services.invitations.domain.addresses import normalize_email
from services.invitations.domain.emails import DeliveryState

_c = invitations.c


@dataclass(frozen=True)
class Revoked:
    id: uuid.UUID
    user_id: uuid.UUID
    email: str


async def revoke_open(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    reason: str,
    now: datetime,
    *,
    keep: uuid.UUID | None = None,
    keep_address: str | None = None,
    requested_before: datetime | None = None,
) -> list[Revoked]:
    """Revoke the user's open invitations (but `keep`, those to `keep_address` and those
    requested from `requested_before` on) and cancel their unsent e-mails. Returns them."""
    conditions: list[ColumnElement[bool]] = [
        _c.tenant_id == tenant_id,
        _c.user_id == user_id,
        _c.accepted_at.is_(None),
        _c.revoked_at.is_(None),
    ]
    if keep is not None:
        conditions.append(_c.id != keep)
    if keep_address is not None:
        conditions.append(_c.email_normalized != normalize_email(keep_address))
    if requested_before is not None:
        conditions.append(_c.requested_at < requested_before)
    result = await session.execute(
        update(invitations)
        .where(and_(*conditions))
        .values(revoked_at=now, revoke_reason=reason)
        .returning(_c.id, _c.user_id, _c.email)
    )
    revoked = [Revoked(row.id, row.user_id, row.email) for row in result]
    await cancel_pending(session, tenant_id, [r.id for r in revoked])
    return revoked


async def cancel_pending(
    session: AsyncSession, tenant_id: uuid.UUID, invitation_ids: list[uuid.UUID]
) -> None:
    if not invitation_ids:
        return
    await session.execute(
        update(deliveries)
        .where(
            deliveries.c.tenant_id == tenant_id,
            deliveries.c.invitation_id.in_(invitation_ids),
            deliveries.c.state == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.CANCELLED, token_hash=None, token_nonce=None)
    )


async def mark_revoked(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invitation_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> None:
    await session.execute(
        update(invitations)
        .where(_c.tenant_id == tenant_id, _c.id == invitation_id)
        .values(revoked_at=now, revoke_reason=reason)
    )


async def mark_accepted(
    session: AsyncSession, tenant_id: uuid.UUID, invitation_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(invitations)
        .where(_c.tenant_id == tenant_id, _c.id == invitation_id)
        .values(accepted_at=now)
    )


async def lock_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Serialize, until commit, what happens to one user's invitations: two messages
    about the same user (a request and a newer one, a request and a deactivation) are
    handled concurrently, and each must see what the other did."""
    await lock_users(session, [(tenant_id, user_id)])


# Taken in the order of the keys, which every transaction taking several follows: two
# such transactions can't each hold a lock the other one waits for.
_LOCK_USERS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))"
    " FROM unnest(CAST(:keys AS text[])) AS key"
)


async def lock_users(session: AsyncSession, users: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """`lock_user` for several (tenant, user) at once, in one round trip."""
    keys = sorted({f"{tenant_id}:{user_id}" for tenant_id, user_id in users})
    await session.execute(_LOCK_USERS, {"keys": keys})
