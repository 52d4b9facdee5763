"""All groups of the tenant, with their number of members."""

from services.directory.db import groups as groups_db
from services.directory.domain.groups import GroupRecord
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal


async def list_groups(uow: DirectoryUnitOfWork, actor: Principal) -> list[tuple[GroupRecord, int]]:
    return [
        (group, members)
        for group, members in await groups_db.list_groups_with_counts(uow.session, actor.tenant_id)
    ]
