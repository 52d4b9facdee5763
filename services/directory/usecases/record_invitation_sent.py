"""The invitations service reports an invitation (or a reminder) went out."""

import uuid
from datetime import datetime

from services.directory.db.activities import record_activity
from services.directory.domain import invitation_state
from services.directory.usecases.common import user_reported
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.invitations import INVITATION_SENT, InvitationSent


def _earliest(*moments: datetime | None) -> datetime | None:
    return min((m for m in moments if m), default=None)


async def record_invitation_sent(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, event_id: str, sent: InvitationSent
) -> None:
    user = await user_reported(uow.session, tenant_id, sent.user_id)
    user.invitation_first_sent_at = _earliest(user.invitation_first_sent_at, sent.first_sent_at)
    user.invitation_send_count += 1
    if user.invitation_last_sent_at is None or sent.sent_at >= user.invitation_last_sent_at:
        # The newest sending tells where the link stands; an older one arriving late doesn't.
        user.invitation_last_sent_at = sent.sent_at
        user.invitation_expires_at = sent.expires_at
        user.invitation_message_id = sent.message_id
        user.invitation_failure_reason = None
        if sent.request_id == user.invitation_request_id:
            user.invitation_state = invitation_state.after_sent(user.invitation_state)
    uow.user_changed(user)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        INVITATION_SENT,
        occurred_at=sent.sent_at,
        details={"attempt": sent.attempt, "reminder": sent.is_reminder, "email": sent.email},
        source_event_id=event_id,
    )
