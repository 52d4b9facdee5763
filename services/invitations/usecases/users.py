"""A user changed on the directory's side: links that no longer fit stop working."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db import invitations as invitations_db
from services.invitations.db import users as users_db
from services.invitations.usecases import events
from shared.contracts.users import UserSnapshot, UserStatus
from shared.messaging.outbox import enqueue

DEACTIVATED = "user deactivated"
ADDRESS_CHANGED = "e-mail address changed"


async def user_changed(session: AsyncSession, user: UserSnapshot) -> None:
    """Revoke the open invitations this snapshot makes obsolete (only those requested
    before it), and tell the directory. Older snapshots change nothing."""
    await invitations_db.lock_user(session, user.tenant_id, user.id)
    if not await users_db.remember_if_newer(session, user):
        return
    now = datetime.now(UTC)
    if user.status is UserStatus.DEACTIVATED:
        reason, keep_address = DEACTIVATED, None
    else:
        reason, keep_address = ADDRESS_CHANGED, user.email
    revoked = await invitations_db.revoke_open(
        session,
        user.tenant_id,
        user.id,
        reason,
        now,
        keep_address=keep_address,
        requested_before=user.updated_at,
    )
    await enqueue(session, *(events.revoked(user.tenant_id, r, reason, now) for r in revoked))
