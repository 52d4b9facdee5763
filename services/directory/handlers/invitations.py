"""What the invitations service reports: sent, failed, accepted."""

from datetime import UTC, datetime
from typing import Any

from services.directory.db.activities import record_activity
from services.directory.domain import invitation_state
from services.directory.handlers.common import user_for_update
from services.directory.snapshots import publish_user_event
from shared.contracts import CloudEvent
from shared.contracts.invitations import (
    InvitationAccepted,
    InvitationFailed,
    InvitationRevoked,
    InvitationSent,
)
from shared.contracts.users import USER_ACTIVATED, USER_UPDATED, InvitationState, UserStatus
from shared.logging import get_logger
from shared.messaging.consumer import PermanentError
from shared.security.passwords import is_argon2id_hash
from shared.security.sealing import SealedBoxError, open_sealed
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


def _earliest(*moments: datetime | None) -> datetime | None:
    return min((m for m in moments if m), default=None)


async def on_invitation_sent(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    sent: InvitationSent = event.data
    user = await user_for_update(session, event.tenantid, sent.user_id)
    user.invitation_first_sent_at = _earliest(user.invitation_first_sent_at, sent.first_sent_at)
    user.invitation_send_count += 1
    if user.invitation_last_sent_at is None or sent.sent_at >= user.invitation_last_sent_at:
        user.invitation_last_sent_at = sent.sent_at
        user.invitation_expires_at = sent.expires_at
        user.invitation_message_id = sent.message_id
        user.invitation_failure_reason = None
        if sent.request_id == user.invitation_request_id:
            current = InvitationState(user.invitation_state)
            user.invitation_state = invitation_state.after_sent(current).value
    user.updated_at = datetime.now(UTC)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "invitation.sent",
        occurred_at=sent.sent_at,
        details={"attempt": sent.attempt, "reminder": sent.is_reminder, "email": sent.email},
        source_event_id=event.id,
    )
    await publish_user_event(session, USER_UPDATED, user)


async def on_invitation_failed(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    failed: InvitationFailed = event.data
    user = await user_for_update(session, event.tenantid, failed.user_id)
    if failed.request_id == user.invitation_request_id:
        current = InvitationState(user.invitation_state)
        user.invitation_state = invitation_state.after_failure(current).value
        user.invitation_failure_reason = failed.reason
    user.updated_at = datetime.now(UTC)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "invitation.failed",
        occurred_at=failed.failed_at,
        details={"reason": failed.reason, "suppressed": failed.suppressed},
        source_event_id=event.id,
    )
    await publish_user_event(session, USER_UPDATED, user)


async def on_invitation_accepted(
    uow: UnitOfWork, event: CloudEvent[Any], *, sealing_keys: list[str]
) -> None:
    session = uow.session
    accepted: InvitationAccepted = event.data
    try:
        password_hash = open_sealed(accepted.sealed_password_hash, sealing_keys)
    except SealedBoxError as error:
        raise PermanentError(f"invitation.accepted: the password hash: {error}") from error
    if not is_argon2id_hash(password_hash):
        raise PermanentError("invitation.accepted carries no argon2id password hash")
    user = await user_for_update(session, event.tenantid, accepted.user_id)
    if user.status == UserStatus.ACTIVE.value:
        log.warning("invitation accepted by an already active user; ignored")
        return
    user.password_hash = password_hash
    user.invitation_state = InvitationState.ACCEPTED.value
    user.invitation_accepted_at = accepted.accepted_at
    user.updated_at = datetime.now(UTC)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "invitation.accepted",
        occurred_at=accepted.accepted_at,
        source_event_id=event.id,
    )
    if user.status == UserStatus.DEACTIVATED.value:
        # Chosen while deactivated: the password waits for a reactivation.
        await publish_user_event(session, USER_UPDATED, user)
        return
    user.status = UserStatus.ACTIVE.value
    user.activated_at = accepted.accepted_at
    await publish_user_event(session, USER_ACTIVATED, user)


async def on_invitation_revoked(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    revoked: InvitationRevoked = event.data
    user = await user_for_update(session, event.tenantid, revoked.user_id)
    if revoked.request_id not in (None, user.invitation_request_id):
        return  # an older invitation; the current one still stands
    current = InvitationState(user.invitation_state)
    user.invitation_state = invitation_state.after_revocation(current).value
    user.updated_at = datetime.now(UTC)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "invitation.revoked",
        occurred_at=revoked.revoked_at,
        details={"reason": revoked.reason},
        source_event_id=event.id,
    )
    await publish_user_event(session, USER_UPDATED, user)
