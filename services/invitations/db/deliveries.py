"""Queries on deliveries: the e-mails to send, claimed with FOR UPDATE SKIP LOCKED."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, Select, and_, exists, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.invitations.db.models import Delivery, Invitation, KnownUser, Suppression
from services.invitations.domain.sending import KnownUser as KnownUserFacts
from services.invitations.domain.sending import MailKind
from services.invitations.domain.sending import Suppression as SuppressionFacts
from services.invitations.domain.suppression import SuppressionCause

DELIVERIES_CHANNEL = "invitation_deliveries"  # NOTIFY on insert (see the first migration)


@dataclass(frozen=True)
class Claimed:
    """A due e-mail, with everything needed to decide and to write it."""

    delivery: Delivery
    invitation: Invitation
    suppression: SuppressionFacts | None
    user: KnownUserFacts | None
    first_sent_at: datetime | None  # the user's first invitation e-mail, any request

    @property
    def kind(self) -> MailKind:
        return MailKind(self.delivery.kind)


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Claimed]:
    """Lock due e-mails (pending ones, and claims whose lease ran out: a process died),
    then read what goes with them. Locking on the one table keeps the claim on the
    queue's index whatever the planner believes about the joins."""
    locked = (
        select(Delivery.tenant_id, Delivery.id)
        .where(Delivery.state.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    keys = (await session.execute(locked)).all()
    if not keys:
        return []
    rows = (await session.execute(_with_context(keys))).all()
    claimed = [Claimed(d, i, _suppression(s), _user(u), first) for d, i, s, u, first in rows]
    return sorted(claimed, key=lambda c: c.delivery.next_attempt_at)


def _with_context(
    keys: Sequence[Row[uuid.UUID, uuid.UUID]],
) -> Select[Delivery, Invitation, Suppression, KnownUser, datetime | None]:
    other = aliased(Invitation)
    first_sent_at = (
        select(func.min(other.first_sent_at))
        .where(other.tenant_id == Invitation.tenant_id, other.user_id == Invitation.user_id)
        .scalar_subquery()
    )
    return (
        select(Delivery, Invitation, Suppression, KnownUser, first_sent_at)
        .join(
            Invitation,
            and_(
                Invitation.tenant_id == Delivery.tenant_id,
                Invitation.id == Delivery.invitation_id,
            ),
        )
        .outerjoin(
            Suppression,
            and_(
                Suppression.tenant_id == Invitation.tenant_id,
                Suppression.email_normalized == Invitation.email_normalized,
            ),
        )
        .outerjoin(
            KnownUser,
            and_(
                KnownUser.tenant_id == Invitation.tenant_id,
                KnownUser.user_id == Invitation.user_id,
            ),
        )
        .where(tuple_(Delivery.tenant_id, Delivery.id).in_([tuple(k) for k in keys]))
    )


def _suppression(row: Suppression | None) -> SuppressionFacts | None:
    if row is None:
        return None
    return SuppressionFacts(SuppressionCause(row.cause), row.detail, row.since)


def _user(row: KnownUser | None) -> KnownUserFacts | None:
    if row is None:
        return None
    return KnownUserFacts(row.email, row.deactivated, row.updated_at)


@dataclass(frozen=True)
class SendingClaim:
    delivery: Delivery
    message_id: str
    token_hash: bytes
    token_expires_at: datetime


async def mark_sending(
    session: AsyncSession, claims: Sequence[SendingClaim], lease_until: datetime
) -> None:
    """The idempotency record, committed before the e-mail leaves."""
    if not claims:
        return
    await session.execute(
        update(Delivery),
        [
            {
                "tenant_id": c.delivery.tenant_id,
                "id": c.delivery.id,
                "state": "sending",
                "attempts": c.delivery.attempts + 1,
                "message_id": c.message_id,
                "next_attempt_at": lease_until,
                "token_hash": c.token_hash,
                "token_expires_at": c.token_expires_at,
            }
            for c in claims
        ],
    )


async def plan_reminders(
    session: AsyncSession, now: datetime, before: timedelta, limit: int
) -> int:
    """Queue a reminder for each open invitation whose link expires within `before`."""
    reminder = aliased(Delivery)
    candidates = (
        select(Invitation.tenant_id)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at.is_not(None),
            Invitation.expires_at > now,
            Invitation.expires_at <= now + before,
            ~exists().where(
                reminder.tenant_id == Invitation.tenant_id,
                reminder.invitation_id == Invitation.id,
                reminder.kind == MailKind.REMINDER.value,
            ),
        )
        .limit(limit)
    )
    result = await session.execute(
        insert(Delivery)
        .from_select(
            ["tenant_id", "id", "invitation_id", "kind"],
            candidates.add_columns(
                func.gen_random_uuid(), Invitation.id, literal(MailKind.REMINDER.value)
            ),
        )
        .on_conflict_do_nothing()
        .returning(Delivery.id)
    )
    return len(result.all())


async def find_by_token(
    session: AsyncSession, token_hash: bytes, *, for_update: bool = False
) -> tuple[Invitation, datetime | None] | None:
    """The invitation a link belongs to and the link's expiry, if the link was issued in
    an e-mail that went out (or is going out)."""
    query = (
        select(Invitation, Delivery.token_expires_at)
        .join(
            Delivery,
            and_(
                Delivery.tenant_id == Invitation.tenant_id,
                Delivery.invitation_id == Invitation.id,
            ),
        )
        .where(Delivery.token_hash == token_hash, Delivery.state.in_(("sending", "sent")))
    )
    if for_update:
        query = query.with_for_update(of=Invitation)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None
