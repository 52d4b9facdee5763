"""Changing a custom field's label, whether it is required, its choices or its place."""

import uuid
from typing import Any

from services.directory.domain.custom_fields import CustomFieldRecord
from services.directory.usecases.common import check_choices, load_field
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal

CHANGEABLE = ("label", "required", "choices", "position")


async def change_custom_field(
    uow: DirectoryUnitOfWork, actor: Principal, field_id: uuid.UUID, changes: dict[str, Any]
) -> CustomFieldRecord:
    field = await load_field(uow.session, actor, field_id)
    if "choices" in changes:
        check_choices(field.type, changes["choices"])
    for name in CHANGEABLE:
        if name in changes:
            setattr(field, name, changes[name])
    await uow.flush()
    return field
