"""Defining a custom field. Its key is fixed once created."""

from dataclasses import dataclass

from services.directory.db import custom_fields as fields_db
from services.directory.domain.custom_fields import (
    KEY_PATTERN,
    CustomFieldRecord,
    published_definition,
)
from services.directory.usecases.common import announce_field, check_choices
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.custom_fields import CUSTOM_FIELD_DEFINED, FieldType
from shared.errors import Conflict, Invalid
from shared.security.access_tokens import Principal

KEY_TAKEN = "A custom field with this key already exists."


@dataclass(frozen=True)
class NewField:
    key: str
    label: str
    type: FieldType
    required: bool
    choices: list[str]
    position: int


async def define_custom_field(
    uow: DirectoryUnitOfWork, actor: Principal, new: NewField
) -> CustomFieldRecord:
    if not KEY_PATTERN.match(new.key):
        raise Invalid(
            "key: use lower-case letters, digits and underscores, starting with a letter."
        )
    check_choices(new.type, new.choices)
    if await fields_db.key_taken(uow.session, actor.tenant_id, new.key):
        raise Conflict(KEY_TAKEN)
    field = fields_db.add_field(
        uow.session,
        actor.tenant_id,
        key=new.key,
        label=new.label,
        field_type=new.type,
        required=new.required,
        choices=new.choices,
        position=new.position,
        version=await fields_db.next_version(uow.session),
    )
    await uow.flush(conflict=KEY_TAKEN)
    announce_field(uow, CUSTOM_FIELD_DEFINED, published_definition(actor.tenant_id, field))
    return field
