"""Putting a user in a group (nothing changes if they already are)."""

import uuid

from services.directory.db import groups as groups_db
from services.directory.usecases.common import groups_changed, load_group, load_user
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def add_group_member(
    uow: DirectoryUnitOfWork, actor: Principal, group_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    group = await load_group(uow.session, actor, group_id, lock="share")
    user = await load_user(uow.session, actor, user_id)
    if await groups_db.add_member(uow.session, actor.tenant_id, group.id, user.id):
        await groups_changed(uow, actor.tenant_id, [user.id])
