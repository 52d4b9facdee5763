"""A user's activity feed, newest first, a page at a time."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.directory.db.activities import recent_activities
from services.directory.domain.activities import ActivityRecord
from services.directory.usecases.common import load_user
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def list_activities(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    user_id: uuid.UUID,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> Sequence[ActivityRecord]:
    """At most `limit` activities older than `before` (when, id)."""
    await load_user(uow.session, actor, user_id, for_update=False)
    return await recent_activities(uow.session, actor.tenant_id, user_id, limit, before)
