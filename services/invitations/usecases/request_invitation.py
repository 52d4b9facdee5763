"""An invitation was requested (first or again): record it, revoke older links, queue the e-mail."""

import uuid
from datetime import UTC, datetime

from services.invitations.db import invitations as invitations_db
from services.invitations.db.requests import record_request
from services.invitations.domain.links import RevokeReason
from shared.contracts.invitations import InvitationRequested
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def request_invitation(
    uow: UnitOfWork, tenant_id: uuid.UUID, request: InvitationRequested
) -> None:
    """One request gives at most one e-mail, however often it is delivered to us. Requests
    may arrive out of order: only the newest one of a user is sent, older links die."""
    await invitations_db.lock_user(uow.session, tenant_id, request.user_id)
    now = datetime.now(UTC)
    recorded = await record_request(uow.session, tenant_id, request, RevokeReason.SUPERSEDED, now)
    if not recorded.recorded:
        log.info("invitation request already recorded", request_id=str(request.request_id))
    elif not recorded.queued:
        await invitations_db.mark_revoked(
            uow.session, tenant_id, request.request_id, RevokeReason.SUPERSEDED, now
        )
