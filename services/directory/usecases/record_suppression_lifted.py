"""The invitations service lifted an address's suppression: the profile's activity of the
user with that address shows it (who lifted it, what had listed it), and a lift by an
administrator clears the envelope's mark (domain/email_state.py)."""

import uuid

from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.domain import email_state
from services.directory.domain.users import normalize_email
from services.directory.usecases.email_status import email_status, store_email_status
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.suppressions import SUPPRESSION_LIFTED, SuppressionLifted
from shared.logging import get_logger

log = get_logger(__name__)


async def record_suppression_lifted(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, event_id: str, lifted: SuppressionLifted
) -> None:
    email = normalize_email(lifted.email)
    user = await users_db.get_user_by_email(uow.session, tenant_id, email, for_update=True)
    if user is None:
        log.info("suppression lifted for an address no user has (any more)")
        return
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        SUPPRESSION_LIFTED,
        actor_id=lifted.lifted_by,
        occurred_at=lifted.lifted_at,
        details={
            "email": lifted.email,
            "cause": lifted.cause,
            "reason": lifted.reason,
            "suppressed_since": lifted.suppressed_since.isoformat(),
            "by": "admin" if lifted.lifted_by else "delivery",
        },
        source_event_id=event_id,
    )
    current = email_status(user)
    status = email_state.after_suppression_lifted(
        current, lifted.lifted_at, by_admin=lifted.lifted_by is not None
    )
    if status != current:
        store_email_status(user, status)
        uow.user_changed(user)
