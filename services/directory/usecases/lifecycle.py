"""Deactivating and reactivating a user. Nothing is deleted either way."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import sessions as sessions_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import User
from services.directory.domain.users import (
    AdminChange,
    ensure_can_deactivate,
    ensure_can_reactivate,
    status_after_reactivation,
)
from services.directory.snapshots import publish_user_event
from services.directory.usecases.common import load_user
from shared.contracts.users import USER_DEACTIVATED, USER_REACTIVATED, UserStatus
from shared.security.access_tokens import Principal


async def deactivate_user(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, reason: str | None
) -> User:
    await users_db.lock_tenant(session, actor.tenant_id)
    user = await load_user(session, actor, user_id)
    role = await tenants_db.get_role(session, user.role)
    is_active_admin = bool(role and role.is_admin) and user.status == UserStatus.ACTIVE
    others = await users_db.count_other_active_admins(session, user.tenant_id, user.id)
    ensure_can_deactivate(
        AdminChange(actor.user_id, user.id, is_active_admin, others), UserStatus(user.status)
    )
    now = datetime.now(UTC)
    user.status = UserStatus.DEACTIVATED.value
    user.deactivated_at, user.deactivated_by, user.deactivation_reason = now, actor.user_id, reason
    user.updated_at = now
    await sessions_db.revoke_user_sessions(session, user.tenant_id, user.id, now)
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "user.deactivated",
        actor_id=actor.user_id,
        details={"reason": reason},
        occurred_at=now,
    )
    await publish_user_event(session, USER_DEACTIVATED, user)
    return user


async def reactivate_user(session: AsyncSession, actor: Principal, user_id: uuid.UUID) -> User:
    user = await load_user(session, actor, user_id)
    ensure_can_reactivate(UserStatus(user.status))
    now = datetime.now(UTC)
    user.status = status_after_reactivation(user.password_hash is not None).value
    user.updated_at = now
    record_activity(
        session,
        user.tenant_id,
        user.id,
        "user.reactivated",
        actor_id=actor.user_id,
        occurred_at=now,
    )
    await publish_user_event(session, USER_REACTIVATED, user)
    return user
