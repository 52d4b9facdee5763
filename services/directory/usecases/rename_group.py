"""Renaming a group: every member's snapshot carries the name, so each is updated."""

import uuid

from services.directory.db import groups as groups_db
from services.directory.domain.groups import GroupRecord
from services.directory.usecases.common import groups_changed, load_group
from services.directory.usecases.create_group import NAME_TAKEN
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Conflict
from shared.security.access_tokens import Principal


async def rename_group(
    uow: DirectoryUnitOfWork, actor: Principal, group_id: uuid.UUID, name: str
) -> tuple[GroupRecord, int]:
    """The group renamed, and its number of members."""
    group = await load_group(uow.session, actor, group_id)
    members = await groups_db.member_ids(uow.session, actor.tenant_id, group.id)
    if group.name == name:
        return group, len(members)
    if await groups_db.group_name_taken(uow.session, actor.tenant_id, name, except_id=group.id):
        raise Conflict(NAME_TAKEN)
    group.name = name
    await uow.flush(conflict=NAME_TAKEN)
    await groups_changed(uow, actor.tenant_id, members)
    return group, len(members)
