"""Deleting a group (its members stay; each is updated, their snapshot lost the group)."""

import uuid

from services.directory.db import groups as groups_db
from services.directory.db import users as users_db
from services.directory.usecases.common import groups_changed, load_group
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def delete_group(uow: DirectoryUnitOfWork, actor: Principal, group_id: uuid.UUID) -> None:
    group = await load_group(uow.session, actor, group_id)
    members = await groups_db.member_ids(uow.session, actor.tenant_id, group.id)
    # Lock the members first: an edit of one of them holds its row and waits on the group.
    await users_db.users_by_ids(uow.session, actor.tenant_id, members, for_update=True)
    # Then the group: whoever is adding a member meanwhile finishes first (and is counted
    # below, so their snapshot loses the group too); whoever comes after finds no group.
    group = await load_group(uow.session, actor, group_id, lock="update")
    members = await groups_db.member_ids(uow.session, actor.tenant_id, group.id)
    await groups_db.delete_group(uow.session, group)
    await groups_changed(uow, actor.tenant_id, members)
