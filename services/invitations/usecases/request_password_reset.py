"""A password reset was requested, or logins to an account keep failing: record it, make
older links die, queue the e-mail (a single-use link to choose a new password, valid
`RESET_TOKEN_TTL_MINUTES`; the warning carries one too), as for an invitation."""

import uuid
from datetime import UTC, datetime

from services.invitations.db import invitations as invitations_db
from services.invitations.db.requests import record_request
from services.invitations.domain.emails import MailKind
from services.invitations.domain.links import RevokeReason
from shared.contracts.accounts import LoginFailuresNoticed, PasswordResetRequested
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def request_password_reset(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    request: PasswordResetRequested | LoginFailuresNoticed,
    kind: MailKind = MailKind.PASSWORD_RESET,
) -> None:
    await invitations_db.lock_user(uow.session, tenant_id, request.user_id)
    now = datetime.now(UTC)
    recorded = await record_request(
        uow.session, tenant_id, request, RevokeReason.SUPERSEDED, now, kind
    )
    if not recorded.recorded:
        log.info("password reset request already recorded", request_id=str(request.request_id))
    elif not recorded.queued:
        await invitations_db.mark_revoked(
            uow.session, tenant_id, request.request_id, RevokeReason.SUPERSEDED, now
        )
