"""Changing a custom field's label, whether it is required, its choices or its place."""

import uuid
from typing import Any

from services.directory.db import custom_fields as fields_db
from services.directory.domain.custom_fields import CustomFieldRecord, published_definition
from services.directory.usecases.common import announce_field, check_choices, load_field
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.custom_fields import CUSTOM_FIELD_CHANGED
from shared.security.access_tokens import Principal

CHANGEABLE = ("label", "required", "choices", "position")


async def change_custom_field(
    uow: DirectoryUnitOfWork, actor: Principal, field_id: uuid.UUID, changes: dict[str, Any]
) -> CustomFieldRecord:
    field = await load_field(uow.session, actor, field_id, for_update=True)
    if "choices" in changes:
        check_choices(field.type, changes["choices"])
    for name in CHANGEABLE:
        if name in changes:
            setattr(field, name, changes[name])
    field.version = await fields_db.next_version(uow.session)
    await uow.flush()
    announce_field(uow, CUSTOM_FIELD_CHANGED, published_definition(actor.tenant_id, field))
    return field
