"""Creating a group; names are unique in a tenant, whatever their case."""

from services.directory.db import groups as groups_db
from services.directory.domain.groups import GroupRecord
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import Conflict
from shared.security.access_tokens import Principal

NAME_TAKEN = "A group with this name already exists."


async def create_group(uow: DirectoryUnitOfWork, actor: Principal, name: str) -> GroupRecord:
    if await groups_db.group_name_taken(uow.session, actor.tenant_id, name):
        raise Conflict(NAME_TAKEN)
    group = groups_db.add_group(uow.session, actor.tenant_id, name)
    await uow.flush(conflict=NAME_TAKEN)
    return group
