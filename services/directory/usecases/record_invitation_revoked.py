"""The invitations service reports an invitation's links stopped working."""

import uuid

from services.directory.db.activities import record_activity
from services.directory.domain import invitation_state
from services.directory.usecases.common import user_reported
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.invitations import INVITATION_REVOKED, InvitationRevoked


async def record_invitation_revoked(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, event_id: str, revoked: InvitationRevoked
) -> None:
    user = await user_reported(uow.session, tenant_id, revoked.user_id)
    if revoked.request_id not in (None, user.invitation_request_id):
        return  # an older invitation; the current one still stands
    user.invitation_state = invitation_state.after_revocation(user.invitation_state)
    uow.user_changed(user)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        INVITATION_REVOKED,
        occurred_at=revoked.revoked_at,
        details={"reason": revoked.reason},
        source_event_id=event_id,
    )
