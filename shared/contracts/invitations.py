"""`invitation.*` events between the directory and the invitations service."""

import uuid
from datetime import datetime

from shared.contracts.envelope import Contract
from shared.contracts.users import Locale

INVITATION_REQUESTED = "invitation.requested"
INVITATION_SENT = "invitation.sent"
INVITATION_FAILED = "invitation.failed"
INVITATION_ACCEPTED = "invitation.accepted"
INVITATION_REVOKED = "invitation.revoked"


class InvitationRequested(Contract):
    """Send (or send again) an invitation e-mail. One request gives at most one e-mail."""

    request_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    locale: Locale
    tenant_slug: str
    tenant_name: str
    requested_by: uuid.UUID | None
    requested_at: datetime
    is_resend: bool


class InvitationSent(Contract):
    request_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    message_id: str
    first_sent_at: datetime
    sent_at: datetime
    expires_at: datetime
    attempt: int
    is_reminder: bool = False


class InvitationFailed(Contract):
    request_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    reason: str
    failed_at: datetime
    suppressed: bool = False


class InvitationAccepted(Contract):
    """The password hash travels sealed for the directory (`shared.security.sealing`):
    nothing on the bus, in an outbox or a dead-letter queue can read it."""

    user_id: uuid.UUID
    email: str
    sealed_password_hash: str
    accepted_at: datetime


class InvitationRevoked(Contract):
    """Links sent earlier no longer work: the user was deactivated, or their address
    changed. (A resend also revokes older links, without this event: the new one replaces
    them.)"""

    request_id: uuid.UUID | None
    user_id: uuid.UUID
    email: str
    reason: str
    revoked_at: datetime
