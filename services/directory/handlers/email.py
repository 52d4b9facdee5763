"""What e-mail providers reported (through the bounces service): the envelope icons."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import User
from services.directory.domain import email_state, invitation_state
from services.directory.domain.email_state import EmailStatus
from services.directory.domain.users import normalize_email
from services.directory.handlers.common import user_for_update
from services.directory.snapshots import publish_user_event
from shared.contracts import CloudEvent
from shared.contracts.email import EmailBounced, EmailComplained, EmailDelivered, EmailEvent
from shared.contracts.users import USER_UPDATED, BounceKind, EmailState, InvitationState
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def find_recipient(session: AsyncSession, event: CloudEvent[Any]) -> User | None:
    """The user the notice is about: by user id, else by Message-ID, else by address.

    A notice naming a user who does not exist (in this tenant) is parked, as any event for
    an unknown user is; one about an address nobody has any more is merely ignored."""
    data: EmailEvent = event.data
    tenant = event.tenantid
    if data.user_id:
        return await user_for_update(session, tenant, data.user_id)
    if data.message_id and (
        user := await users_db.get_user_by_message_id(session, tenant, data.message_id)
    ):
        return user
    return await users_db.get_user_by_email(
        session, tenant, normalize_email(data.email), for_update=True
    )


def _status(user: User) -> EmailStatus:
    return EmailStatus(
        state=EmailState(user.email_state),
        bounce_kind=BounceKind(user.email_bounce_kind) if user.email_bounce_kind else None,
        reason=user.email_state_reason,
        changed_at=user.email_state_changed_at,
        delivered_at=user.email_delivered_at,
    )


def _store(user: User, status: EmailStatus) -> None:
    user.email_state = status.state.value
    user.email_bounce_kind = status.bounce_kind.value if status.bounce_kind else None
    user.email_state_reason = status.reason
    user.email_state_changed_at = status.changed_at
    user.email_delivered_at = status.delivered_at


def _about_invitation(user: User, data: EmailEvent) -> bool:
    return data.message_id is None or data.message_id == user.invitation_message_id


async def on_email_event(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    data: EmailEvent = event.data
    user = await find_recipient(session, event)
    if user is None or normalize_email(data.email) != user.email_normalized:
        log.info("e-mail notice for an address no user has (any more); ignored")
        return
    current, invitation = _status(user), InvitationState(user.invitation_state)
    if isinstance(data, EmailBounced):
        status = email_state.after_bounce(current, data.kind, data.reason, data.occurred_at)
        if _about_invitation(user, data):
            invitation = invitation_state.after_bounce(invitation)
        details: dict[str, str | None] = {"kind": data.kind.value, "reason": data.reason}
    elif isinstance(data, EmailComplained):
        status = email_state.after_complaint(current, data.feedback_type, data.occurred_at)
        details = {"feedback_type": data.feedback_type}
    else:
        assert isinstance(data, EmailDelivered)
        status = email_state.after_delivery(current, data.occurred_at)
        if _about_invitation(user, data):
            invitation = invitation_state.after_delivery(invitation)
        details = {}
    record_activity(
        session,
        user.tenant_id,
        user.id,
        event.type,
        occurred_at=data.occurred_at,
        details={**details, "provider": data.provider},
        source_event_id=event.id,
    )
    if status == current and invitation.value == user.invitation_state:
        return
    _store(user, status)
    user.invitation_state = invitation.value
    user.updated_at = datetime.now(UTC)
    await publish_user_event(session, USER_UPDATED, user)
