"""Deleting a custom field and its values; users who had a value are updated."""

import uuid

from services.directory.db import custom_fields as fields_db
from services.directory.db import users as users_db
from services.directory.domain.custom_fields import published_definition
from services.directory.usecases.common import announce_field, load_field
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.custom_fields import CUSTOM_FIELD_DELETED
from shared.security.access_tokens import Principal


async def delete_custom_field(
    uow: DirectoryUnitOfWork, actor: Principal, field_id: uuid.UUID
) -> None:
    field = await load_field(uow.session, actor, field_id, for_update=True)
    deleted = published_definition(
        actor.tenant_id, field, version=await fields_db.next_version(uow.session)
    )
    holders = await fields_db.users_with_value(uow.session, actor.tenant_id, field.id)
    await fields_db.delete_field(uow.session, field)
    users = await users_db.users_by_ids(uow.session, actor.tenant_id, holders, for_update=True)
    for user in users:
        user.custom_fields = {k: v for k, v in user.custom_fields.items() if k != str(field.id)}
        uow.user_changed(user)
    announce_field(uow, CUSTOM_FIELD_DELETED, deleted)
