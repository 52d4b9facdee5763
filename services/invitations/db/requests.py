"""Recording an `invitation.requested` in one round trip: it runs for every request."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.domain.addresses import normalize_email
from services.invitations.domain.emails import DeliveryState, MailKind
from shared.contracts.accounts import LoginFailuresNoticed, PasswordResetRequested
from shared.contracts.invitations import InvitationRequested

# One statement: record the request (nothing if its id is known), revoke the user's older
# open invitations and cancel their unsent e-mails, and queue this one's e-mail unless a
# newer request of the user arrived first. (The CTEs all see the table as it was before
# the statement, which is what each of them needs.)
_RECORD = text(
    """
    WITH new AS (
        INSERT INTO invitations (tenant_id, id, user_id, email, email_normalized, first_name,
            last_name, locale, tenant_slug, tenant_name, requested_by, requested_at, is_resend)
        VALUES (:tenant_id, :id, :user_id, :email, :email_normalized, :first_name,
            :last_name, :locale, :tenant_slug, :tenant_name, :requested_by, :requested_at,
            :is_resend)
        ON CONFLICT DO NOTHING
        RETURNING tenant_id, id, user_id, requested_at
    ), older AS (
        UPDATE invitations i SET revoked_at = :now, revoke_reason = :reason
        FROM new
        WHERE i.tenant_id = new.tenant_id AND i.user_id = new.user_id
          AND i.requested_at < new.requested_at
          AND i.accepted_at IS NULL AND i.revoked_at IS NULL
        RETURNING i.tenant_id, i.id
    ), cancelled AS (
        UPDATE deliveries d SET state = :cancelled, token_hash = NULL, token_nonce = NULL
        FROM older
        WHERE d.tenant_id = older.tenant_id AND d.invitation_id = older.id
          AND d.state = :pending
    ), queued AS (
        INSERT INTO deliveries (tenant_id, id, invitation_id, kind)
        SELECT new.tenant_id, :delivery_id, new.id, :kind
        FROM new
        WHERE NOT EXISTS (
            SELECT 1 FROM invitations n
            WHERE n.tenant_id = new.tenant_id AND n.user_id = new.user_id
              AND n.requested_at > new.requested_at
        )
        RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM new) AS recorded, EXISTS (SELECT 1 FROM queued) AS queued
    """
)


@dataclass(frozen=True)
class Recorded:
    recorded: bool  # False: this request id was known already
    queued: bool  # False: a newer request of the user exists


async def record_request(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    request: InvitationRequested | PasswordResetRequested | LoginFailuresNoticed,
    revoke_reason: str,
    now: datetime,
    kind: MailKind = MailKind.INVITATION,
) -> Recorded:
    """A newer request of the user, whatever its kind, makes the older ones' links die:
    the directory sends invitations to invited users only, resets to active ones only."""
    params = {
        "tenant_id": tenant_id,
        "id": request.request_id,
        "user_id": request.user_id,
        "email": request.email.strip(),
        "email_normalized": normalize_email(request.email),
        "first_name": request.first_name,
        "last_name": request.last_name,
        "locale": request.locale,
        "tenant_slug": request.tenant_slug,
        "tenant_name": request.tenant_name,
        "requested_by": getattr(request, "requested_by", None),
        "requested_at": request.requested_at,
        "is_resend": isinstance(request, InvitationRequested) and request.is_resend,
        "now": now,
        "reason": revoke_reason,
        "delivery_id": uuid.uuid4(),
        "kind": kind.value,
        "pending": DeliveryState.PENDING.value,
        "cancelled": DeliveryState.CANCELLED.value,
    }
    row = (await session.execute(_RECORD, params)).one()
    return Recorded(row.recorded, row.queued)
