"""What an e-mail provider reported (through the bounces service) about mail sent to a
user: the envelope icons, and the invitation's state when the mail was the invitation.

Notices arrive late and out of order; the rules are in `domain.email_state` and
`domain.invitation_state`.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import User
from services.directory.domain import email_state, invitation_state
from services.directory.domain.users import normalize_email
from services.directory.usecases.common import user_reported
from services.directory.usecases.email_status import email_status, store_email_status
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.email import (
    EMAIL_BOUNCED,
    EMAIL_COMPLAINED,
    EMAIL_DELIVERED,
    EmailBounced,
    EmailComplained,
    EmailEvent,
)
from shared.logging import get_logger

log = get_logger(__name__)


async def record_email_notice(
    uow: DirectoryUnitOfWork, tenant_id: uuid.UUID, event_id: str, notice: EmailEvent
) -> None:
    user = await _recipient(uow.session, tenant_id, notice)
    if user is None or normalize_email(notice.email) != user.email_normalized:
        log.info("e-mail notice for an address no user has (any more); ignored")
        return
    current = email_status(user)
    invitation = user.invitation_state
    details: dict[str, str | None]
    about_invitation = notice.message_id in (None, user.invitation_message_id)
    if isinstance(notice, EmailBounced):
        kind, details = EMAIL_BOUNCED, {"kind": notice.kind.value, "reason": notice.reason}
        status = email_state.after_bounce(current, notice.kind, notice.reason, notice.occurred_at)
        if about_invitation:
            invitation = invitation_state.after_bounce(invitation)
    elif isinstance(notice, EmailComplained):
        kind, details = EMAIL_COMPLAINED, {"feedback_type": notice.feedback_type}
        status = email_state.after_complaint(current, notice.feedback_type, notice.occurred_at)
    else:
        kind, details = EMAIL_DELIVERED, {}
        status = email_state.after_delivery(current, notice.occurred_at)
        if about_invitation:
            invitation = invitation_state.after_delivery(invitation)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        kind,
        occurred_at=notice.occurred_at,
        details={**details, "provider": notice.provider},
        source_event_id=event_id,
    )
    if status == current and invitation is user.invitation_state:
        return
    store_email_status(user, status)
    user.invitation_state = invitation
    uow.user_changed(user)


async def _recipient(
    session: AsyncSession, tenant_id: uuid.UUID, notice: EmailEvent
) -> User | None:
    """The user the notice is about: by user id, else by Message-ID, else by address.

    A notice naming a user who does not exist (in this tenant) is parked, as any event for
    an unknown user is; one about an address nobody has any more is merely ignored."""
    if notice.user_id:
        return await user_reported(session, tenant_id, notice.user_id)
    if notice.message_id and (
        user := await users_db.get_user_by_message_id(session, tenant_id, notice.message_id)
    ):
        return user
    email = normalize_email(notice.email)
    return await users_db.get_user_by_email(session, tenant_id, email, for_update=True)
