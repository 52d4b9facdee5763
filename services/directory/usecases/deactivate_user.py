"""Deactivating a user: no more login (their sessions end at once); nothing is deleted."""

import uuid
from datetime import UTC, datetime

from services.directory.db import sessions as sessions_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.domain.activities import ActivityKind
from services.directory.domain.users import AdminChange, UserChange, ensure_can_deactivate
from services.directory.usecases.common import load_user
from services.directory.usecases.get_profile import Profile, read_profile
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import UserStatus
from shared.security.access_tokens import Principal


async def deactivate_user(
    uow: DirectoryUnitOfWork, actor: Principal, user_id: uuid.UUID, reason: str | None
) -> Profile:
    await users_db.lock_tenant(uow.session, actor.tenant_id)  # the last-admin rule
    user = await load_user(uow.session, actor, user_id)
    role = await tenants_db.get_role(uow.session, user.role)
    is_active_admin = bool(role and role.is_admin) and user.status is UserStatus.ACTIVE
    others = await users_db.count_other_active_admins(uow.session, user.tenant_id, user.id)
    ensure_can_deactivate(AdminChange(actor.user_id, user.id, is_active_admin, others), user.status)
    now = datetime.now(UTC)
    user.status = UserStatus.DEACTIVATED
    user.deactivated_at, user.deactivated_by, user.deactivation_reason = now, actor.user_id, reason
    uow.user_changed(user, UserChange.DEACTIVATED, at=now)
    await sessions_db.revoke_user_sessions(uow.session, user.tenant_id, user.id, now)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        ActivityKind.DEACTIVATED,
        actor_id=actor.user_id,
        details={"reason": reason},
        occurred_at=now,
    )
    return await read_profile(uow, user)
