"""The invitations service reports it could not send an invitation."""

import uuid

from services.directory.db.activities import record_activity
from services.directory.domain import invitation_state
from services.directory.usecases.common import user_reported
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.invitations import INVITATION_FAILED, InvitationFailed


async def record_invitation_failed(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, event_id: str, failed: InvitationFailed
) -> None:
    user = await user_reported(uow.session, tenant_id, failed.user_id)
    if failed.request_id == user.invitation_request_id:
        user.invitation_state = invitation_state.after_failure(user.invitation_state)
        user.invitation_failure_reason = failed.reason
    uow.user_changed(user)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        INVITATION_FAILED,
        occurred_at=failed.failed_at,
        details={"reason": failed.reason, "suppressed": failed.suppressed},
        source_event_id=event_id,
    )
