"""The events this service publishes, built from its rows."""

import uuid
from datetime import datetime
from typing import TypeVar

from services.invitations.db.invitations import Revoked
from services.invitations.db.models import Invitation
from shared.contracts import CloudEvent, new_event
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

SOURCE = "/services/invitations"

DataT = TypeVar("DataT")


def sent(
    invitation: Invitation,
    *,
    message_id: str,
    attempt: int,
    is_reminder: bool,
    first_sent_at: datetime,
    sent_at: datetime,
    expires_at: datetime,
) -> CloudEvent[InvitationSent]:
    data = InvitationSent(
        request_id=invitation.id,
        user_id=invitation.user_id,
        email=invitation.email,
        message_id=message_id,
        first_sent_at=first_sent_at,
        sent_at=sent_at,
        expires_at=expires_at,
        attempt=attempt,
        is_reminder=is_reminder,
    )
    return _event(INVITATION_SENT, invitation.tenant_id, invitation.user_id, data)


def failed(
    invitation: Invitation, reason: str, now: datetime, *, suppressed: bool = False
) -> CloudEvent[InvitationFailed]:
    data = InvitationFailed(
        request_id=invitation.id,
        user_id=invitation.user_id,
        email=invitation.email,
        reason=reason,
        failed_at=now,
        suppressed=suppressed,
    )
    return _event(INVITATION_FAILED, invitation.tenant_id, invitation.user_id, data)


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
    invitation: Invitation, sealed_password_hash: str, now: datetime
) -> CloudEvent[InvitationAccepted]:
    data = InvitationAccepted(
        user_id=invitation.user_id,
        email=invitation.email,
        sealed_password_hash=sealed_password_hash,
        accepted_at=now,
    )
    return _event(INVITATION_ACCEPTED, invitation.tenant_id, invitation.user_id, data)


def _event(
    event_type: str, tenant_id: uuid.UUID, user_id: uuid.UUID, data: DataT
) -> CloudEvent[DataT]:
    return new_event(
        event_type, source=SOURCE, tenant_id=tenant_id, subject=str(user_id), data=data
    )
