"""A user changed on the directory's side: links that no longer fit stop working."""

from datetime import UTC, datetime

from services.invitations.db import invitations as invitations_db
from services.invitations.db import users as users_db
from services.invitations.domain.links import RevokeReason
from services.invitations.usecases import events
from shared.contracts.users import UserSnapshot, UserStatus
from shared.unit_of_work import UnitOfWork


async def apply_user_snapshot(uow: UnitOfWork, user: UserSnapshot) -> None:
    """Revoke the open invitations this snapshot makes obsolete (only those requested
    before it), and tell the directory. Older snapshots change nothing."""
    await invitations_db.lock_user(uow.session, user.tenant_id, user.id)
    if not await users_db.remember_if_newer(uow.session, user):
        return
    now = datetime.now(UTC)
    if user.status is UserStatus.DEACTIVATED:
        reason, keep_address = RevokeReason.DEACTIVATED, None
    else:
        reason, keep_address = RevokeReason.ADDRESS_CHANGED, user.email
    revoked = await invitations_db.revoke_open(
        uow.session,
        user.tenant_id,
        user.id,
        reason,
        now,
        keep_address=keep_address,
        requested_before=user.updated_at,
    )
    uow.emit(*(events.revoked(user.tenant_id, r, reason, now) for r in revoked))
