"""Reactivating a user: back to where they were (active if they had chosen a password)."""

import uuid
from datetime import UTC, datetime

from services.directory.db.activities import record_activity
from services.directory.domain.activities import ActivityKind
from services.directory.domain.users import (
    UserChange,
    ensure_can_reactivate,
    status_after_reactivation,
)
from services.directory.usecases.common import load_user
from services.directory.usecases.get_profile import Profile, read_profile
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def reactivate_user(
    uow: DirectoryUnitOfWork, actor: Principal, user_id: uuid.UUID
) -> Profile:
    user = await load_user(uow.session, actor, user_id)
    ensure_can_reactivate(user.status)
    now = datetime.now(UTC)
    user.status = status_after_reactivation(user.password_hash is not None)
    uow.user_changed(user, UserChange.REACTIVATED, at=now)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        ActivityKind.REACTIVATED,
        actor_id=actor.user_id,
        occurred_at=now,
    )
    return await read_profile(uow, user)
