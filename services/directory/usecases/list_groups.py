"""The tenant's groups: all of them with their number of members (the admin console), or a
page of them by name (an integration's picker, asked over the bus)."""

from services.directory.db import groups as groups_db
from services.directory.domain.groups import GroupRecord
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.directory_commands import GroupsReply, ListGroups
from shared.contracts.users import GroupRef
from shared.security.access_tokens import Principal


async def list_groups(uow: DirectoryUnitOfWork, actor: Principal) -> list[tuple[GroupRecord, int]]:
    return [
        (group, members)
        for group, members in await groups_db.list_groups_with_counts(uow.session, actor.tenant_id)
    ]


async def groups_page(uow: DirectoryUnitOfWork, command: ListGroups) -> GroupsReply:
    """The command's tenant's groups only: the tenant is the one the API key belongs to."""
    found = await groups_db.groups_by_name(
        uow.session, command.tenant_id, command.after, command.limit + 1
    )
    page = found[: command.limit]
    return GroupsReply(
        groups=[GroupRef(id=group.id, name=group.name) for group in page],
        more=len(found) > command.limit,
        total=await groups_db.count_groups(uow.session, command.tenant_id),
    )
