"""Recording `invitation.requested` (and the other requests) in one round trip for many:
it runs for every request."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.domain.addresses import normalize_email
from services.invitations.domain.emails import DeliveryState, MailKind
from shared.contracts.accounts import LoginFailuresNoticed, PasswordResetRequested
from shared.contracts.invitations import InvitationRequested

# One statement for any number of requests of different users: record each request
# (nothing if its id is known), revoke its user's older open invitations and cancel their
# unsent e-mails, and queue its e-mail unless a newer request of the user arrived first.
# (The CTEs all see the tables as they were before the statement, which is what each of
# them needs; two requests of one user must therefore go in two statements, in order.)
_RECORD = text(
    """
    WITH input AS (
        SELECT * FROM unnest(
            CAST(:tenant_ids AS uuid[]), CAST(:ids AS uuid[]), CAST(:user_ids AS uuid[]),
            CAST(:emails AS text[]), CAST(:emails_normalized AS text[]),
            CAST(:first_names AS text[]), CAST(:last_names AS text[]),
            CAST(:locales AS text[]), CAST(:tenant_slugs AS text[]),
            CAST(:tenant_names AS text[]), CAST(:requested_bys AS uuid[]),
            CAST(:requested_ats AS timestamptz[]), CAST(:is_resends AS boolean[]),
            CAST(:delivery_ids AS uuid[]), CAST(:kinds AS text[])
        ) WITH ORDINALITY AS r(tenant_id, id, user_id, email, email_normalized, first_name,
               last_name, locale, tenant_slug, tenant_name, requested_by, requested_at,
               is_resend, delivery_id, kind, n)
    ), new AS (
        INSERT INTO invitations (tenant_id, id, user_id, email, email_normalized, first_name,
            last_name, locale, tenant_slug, tenant_name, requested_by, requested_at, is_resend)
        SELECT tenant_id, id, user_id, email, email_normalized, first_name, last_name,
            locale, tenant_slug, tenant_name, requested_by, requested_at, is_resend
        FROM input
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
        SELECT new.tenant_id, input.delivery_id, new.id, input.kind
        FROM new JOIN input ON input.tenant_id = new.tenant_id AND input.id = new.id
        WHERE NOT EXISTS (
            SELECT 1 FROM invitations n
            WHERE n.tenant_id = new.tenant_id AND n.user_id = new.user_id
              AND n.requested_at > new.requested_at
        )
        RETURNING tenant_id, invitation_id
    )
    SELECT
        EXISTS (SELECT 1 FROM new WHERE new.tenant_id = input.tenant_id AND new.id = input.id)
            AS recorded,
        EXISTS (
            SELECT 1 FROM queued q
            WHERE q.tenant_id = input.tenant_id AND q.invitation_id = input.id
        ) AS queued
    FROM input
    ORDER BY input.n
    """
)

Request = InvitationRequested | PasswordResetRequested | LoginFailuresNoticed


@dataclass(frozen=True)
class Recorded:
    recorded: bool  # False: this request id was known already
    queued: bool  # False: a newer request of the user exists


async def record_request(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    request: Request,
    revoke_reason: str,
    now: datetime,
    kind: MailKind = MailKind.INVITATION,
) -> Recorded:
    """A newer request of the user, whatever its kind, makes the older ones' links die:
    the directory sends invitations to invited users only, resets to active ones only."""
    [recorded] = await record_requests(session, [(tenant_id, request, kind)], revoke_reason, now)
    return recorded


async def record_requests(
    session: AsyncSession,
    requests: Sequence[tuple[uuid.UUID, Request, MailKind]],
    revoke_reason: str,
    now: datetime,
) -> list[Recorded]:
    """`record_request` for requests of different users, in one round trip; what each came
    to, in their order. ValueError for two requests of one user."""
    users = {(tenant_id, request.user_id) for tenant_id, request, _ in requests}
    if len(users) < len(requests):
        raise ValueError("two requests of one user must be recorded one after the other")
    params = {
        "tenant_ids": [tenant_id for tenant_id, _, _ in requests],
        "ids": [request.request_id for _, request, _ in requests],
        "user_ids": [request.user_id for _, request, _ in requests],
        "emails": [request.email.strip() for _, request, _ in requests],
        "emails_normalized": [normalize_email(request.email) for _, request, _ in requests],
        "first_names": [request.first_name for _, request, _ in requests],
        "last_names": [request.last_name for _, request, _ in requests],
        "locales": [request.locale for _, request, _ in requests],
        "tenant_slugs": [request.tenant_slug for _, request, _ in requests],
        "tenant_names": [request.tenant_name for _, request, _ in requests],
        "requested_bys": [getattr(request, "requested_by", None) for _, request, _ in requests],
        "requested_ats": [request.requested_at for _, request, _ in requests],
        "is_resends": [
            isinstance(request, InvitationRequested) and request.is_resend
            for _, request, _ in requests
        ],
        "delivery_ids": [uuid.uuid4() for _ in requests],
        "kinds": [kind.value for _, _, kind in requests],
        "now": now,
        "reason": revoke_reason,
        "pending": DeliveryState.PENDING.value,
        "cancelled": DeliveryState.CANCELLED.value,
    }
    rows = (await session.execute(_RECORD, params)).all()
    return [Recorded(row.recorded, row.queued) for row in rows]
