"""The e-mails to send: claimed with FOR UPDATE SKIP LOCKED, each read as one `Email`."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.invitations.db.models import Delivery, Invitation, KnownUser, Suppression
from services.invitations.db.tables import deliveries
from services.invitations.domain.emails import (
    LINK_STATES,
    OPEN_STATES,
    RESET_KINDS,
    DeliveryState,
    Email,
    LatestUser,
    MailKind,
)
from services.invitations.domain.links import IssuedLink, LinkedInvitation
from services.invitations.domain.suppression import SuppressedAddress

DELIVERIES_CHANNEL = "invitation_deliveries"  # NOTIFY on insert (see the first migration)


def _locked() -> Select[uuid.UUID, uuid.UUID]:
    return (
        select(Delivery.tenant_id, Delivery.id)
        .where(Delivery.state.in_(OPEN_STATES), Delivery.next_attempt_at <= bindparam("now"))
        .order_by(Delivery.next_attempt_at)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


def _with_context() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Delivery.tenant_id,
            Delivery.id,
            Delivery.invitation_id,
            Delivery.kind,
            Delivery.state,
            Delivery.attempts,
            Delivery.message_id,
            Delivery.next_attempt_at,
            Delivery.token_nonce,
            Delivery.token_hash,
            Delivery.token_expires_at,
            Invitation.user_id,
            Invitation.email,
            Invitation.first_name,
            Invitation.last_name,
            Invitation.locale,
            Invitation.tenant_name,
            Invitation.requested_at,
            Invitation.accepted_at,
            Invitation.revoked_at,
            Invitation.expires_at,
            Suppression.cause,
            Suppression.detail,
            Suppression.since,
            KnownUser.email.label("latest_email"),
            KnownUser.deactivated,
            KnownUser.updated_at,
        )
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
        # The locked keys as two arrays: one statement whatever their number.
        .where(
            Delivery.id == any_(bindparam("ids", type_=ARRAY(Uuid))),
            Delivery.tenant_id == any_(bindparam("tenants", type_=ARRAY(Uuid))),
        )
    )


# Built once (building them cost more than running them: they run for every claim).
_LOCKED = _locked()
_WITH_CONTEXT = _with_context()


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Email]:
    """Lock due e-mails (pending ones, and `sending` ones whose time came: an unknown
    outcome to retry, or a claim left by a process that died), then read what goes with
    them. Locking on the one table keeps the claim on the queue's index whatever the
    planner believes about the joins."""
    keys = {tuple(key) for key in (await session.execute(_LOCKED, {"now": now, "limit": limit}))}
    if not keys:
        return []
    ids = {"ids": [id_ for _, id_ in keys], "tenants": list({tenant for tenant, _ in keys})}
    rows = [
        row
        for row in (await session.execute(_WITH_CONTEXT, ids))
        if (row.tenant_id, row.id) in keys  # the arrays alone would match across tenants
    ]
    return [_email(row) for row in sorted(rows, key=lambda row: row.next_attempt_at)]


def _email(row: Row[Any]) -> Email:
    return Email(
        tenant_id=row.tenant_id,
        delivery_id=row.id,
        invitation_id=row.invitation_id,
        user_id=row.user_id,
        kind=row.kind,
        address=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        locale=row.locale,
        tenant_name=row.tenant_name,
        requested_at=row.requested_at,
        invitation_open=row.accepted_at is None and row.revoked_at is None,
        invitation_expires_at=row.expires_at,
        suppressed=(
            SuppressedAddress(row.cause, row.detail, row.since) if row.cause is not None else None
        ),
        latest_user=(
            LatestUser(row.latest_email, row.deactivated, row.updated_at)
            if row.latest_email is not None
            else None
        ),
        attempts=row.attempts,
        message_id=row.message_id,
        issued=_issued(row),
    )


def _issued(row: Row[Any]) -> IssuedLink | None:
    """The link of an attempt whose outcome is unknown (it may be in an inbox)."""
    if row.state is not DeliveryState.SENDING or row.token_nonce is None:
        return None
    if row.token_hash is None or row.token_expires_at is None:
        return None
    return IssuedLink(row.token_nonce, row.token_hash, row.token_expires_at)


# Built once, executed for every claim (the ORM's bulk update by primary key cost more
# per row than the statement itself).
_MARK_SENDING = (
    update(deliveries)
    .where(deliveries.c.tenant_id == bindparam("k_tenant"), deliveries.c.id == bindparam("k_id"))
    .values(
        state=DeliveryState.SENDING,
        attempts=bindparam("attempts"),
        message_id=bindparam("message_id"),
        next_attempt_at=bindparam("lease_until"),
        token_hash=bindparam("token_hash"),
        token_nonce=bindparam("token_nonce"),
        token_expires_at=bindparam("token_expires_at"),
    )
)


async def mark_sending(
    session: AsyncSession, emails: Sequence[Email], lease_until: datetime
) -> None:
    """The idempotency record, committed before the e-mail leaves: the attempt counted,
    the Message-ID and the link fixed."""
    rows = [
        {
            "k_tenant": email.tenant_id,
            "k_id": email.delivery_id,
            "attempts": email.attempts,
            "message_id": email.message_id,
            "lease_until": lease_until,
            "token_hash": email.link.issued.token_hash,
            "token_nonce": email.link.issued.nonce,
            "token_expires_at": email.link.issued.expires_at,
        }
        for email in emails
        if email.link is not None
    ]
    if rows:
        await session.execute(_MARK_SENDING, rows)


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
                reminder.kind == MailKind.REMINDER,
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
) -> LinkedInvitation | None:
    """The invitation a link belongs to, if the link was issued in an e-mail that went
    out (or may have)."""
    query = (
        select(
            Invitation.tenant_id,
            Invitation.id,
            Invitation.user_id,
            Invitation.email,
            Invitation.first_name,
            Invitation.tenant_name,
            Invitation.locale,
            Invitation.accepted_at,
            Invitation.revoked_at,
            Delivery.token_expires_at,
            Delivery.kind,
        )
        .join(
            Delivery,
            and_(
                Delivery.tenant_id == Invitation.tenant_id,
                Delivery.invitation_id == Invitation.id,
            ),
        )
        .where(Delivery.token_hash == token_hash, Delivery.state.in_(LINK_STATES))
    )
    if for_update:
        query = query.with_for_update(of=Invitation)
    row = (await session.execute(query)).first()
    if row is None:
        return None
    return LinkedInvitation(
        tenant_id=row.tenant_id,
        invitation_id=row.id,
        user_id=row.user_id,
        email=row.email,
        first_name=row.first_name,
        tenant_name=row.tenant_name,
        locale=row.locale,
        accepted_at=row.accepted_at,
        revoked_at=row.revoked_at,
        expires_at=row.token_expires_at,
        is_password_reset=row.kind in RESET_KINDS,
    )
