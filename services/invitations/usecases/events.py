"""The events this service publishes, built from its domain values (use cases emit them)."""

import uuid
from datetime import datetime
from typing import TypeVar

from services.invitations.db.invitations import Revoked
from services.invitations.domain.emails import Email, MailKind
from services.invitations.domain.links import LinkedInvitation
from services.invitations.domain.suppression import SuppressedAddress
from shared.contracts import CloudEvent, new_event
from shared.contracts.accounts import PASSWORD_RESET_COMPLETED, PasswordResetCompleted
from shared.contracts.invitations import (
    INVITATION_ACCEPTED,
    INVITATION_FAILED,
    INVITATION_REVOKED,
    INVITATION_SENT,
    InvitationAccepted,
    InvitationFailed,
    InvitationRevoked,
    InvitationSent,
)
from shared.contracts.suppressions import SUPPRESSION_LIFTED, SuppressionLifted

SOURCE = "/services/invitations"

DataT = TypeVar("DataT")


def sent(email: Email, sent_at: datetime, earlier: datetime | None) -> CloudEvent[InvitationSent]:
    """`earlier`: the user's first invitation e-mail, any request, as recorded with this
    one (read then, not at the claim: a resend may be claimed before the first e-mail's
    outcome is recorded)."""
    assert email.link is not None
    assert email.message_id is not None
    data = InvitationSent(
        request_id=email.invitation_id,
        user_id=email.user_id,
        email=email.address,
        message_id=email.message_id,
        first_sent_at=min(earlier, sent_at) if earlier else sent_at,
        sent_at=sent_at,
        expires_at=email.link.issued.expires_at,
        attempt=email.attempts,
        is_reminder=email.kind is MailKind.REMINDER,
    )
    return _event(INVITATION_SENT, email.tenant_id, email.user_id, data)


def failed(
    email: Email, reason: str, now: datetime, *, suppressed: bool = False
) -> CloudEvent[InvitationFailed]:
    data = InvitationFailed(
        request_id=email.invitation_id,
        user_id=email.user_id,
        email=email.address,
        reason=reason,
        failed_at=now,
        suppressed=suppressed,
    )
    return _event(INVITATION_FAILED, email.tenant_id, email.user_id, data)


def revoked(
    tenant_id: uuid.UUID, invitation: Revoked, reason: str, now: datetime
) -> CloudEvent[InvitationRevoked]:
    data = InvitationRevoked(
        request_id=invitation.id,
        user_id=invitation.user_id,
        email=invitation.email,
        reason=reason,
        revoked_at=now,
    )
    return _event(INVITATION_REVOKED, tenant_id, invitation.user_id, data)


def accepted(
    invitation: LinkedInvitation, sealed_password_hash: str, now: datetime
) -> CloudEvent[InvitationAccepted]:
    data = InvitationAccepted(
        user_id=invitation.user_id,
        email=invitation.email,
        sealed_password_hash=sealed_password_hash,
        accepted_at=now,
    )
    return _event(INVITATION_ACCEPTED, invitation.tenant_id, invitation.user_id, data)


def password_reset_completed(
    invitation: LinkedInvitation, sealed_password_hash: str, now: datetime
) -> CloudEvent[PasswordResetCompleted]:
    data = PasswordResetCompleted(
        request_id=invitation.invitation_id,
        user_id=invitation.user_id,
        email=invitation.email,
        sealed_password_hash=sealed_password_hash,
        completed_at=now,
    )
    return _event(PASSWORD_RESET_COMPLETED, invitation.tenant_id, invitation.user_id, data)


def suppression_lifted(
    tenant_id: uuid.UUID,
    email: str,
    listed: SuppressedAddress,
    lifted_at: datetime,
    lifted_by: uuid.UUID | None,
) -> CloudEvent[SuppressionLifted]:
    """The audit record of a lift: the directory shows it in the activity of the user
    who has the address."""
    data = SuppressionLifted(
        email=email,
        cause=listed.cause.value,
        reason=listed.detail,
        suppressed_since=listed.since,
        lifted_at=lifted_at,
        lifted_by=lifted_by,
    )
    return new_event(
        SUPPRESSION_LIFTED, source=SOURCE, tenant_id=tenant_id, subject=email, data=data
    )


def _event(
    event_type: str, tenant_id: uuid.UUID, user_id: uuid.UUID, data: DataT
) -> CloudEvent[DataT]:
    return new_event(
        event_type, source=SOURCE, tenant_id=tenant_id, subject=str(user_id), data=data
    )
