"""A `custom_field.*` definition arrived: keep it if it is newer than the one kept (the same
newest-wins rule as the users'). A deleted field is kept as a tombstone, so that a late
definition or a user's older snapshot naming it does not bring it back."""

from typing import Any

from services.exports.db import users as users_db
from shared.contracts import CloudEvent
from shared.contracts.custom_fields import CUSTOM_FIELD_DELETED, CustomFieldDefined
from shared.errors import Invalid
from shared.unit_of_work import UnitOfWork


async def project_field(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    field = event.data
    if not isinstance(field, CustomFieldDefined):
        raise Invalid(f"{event.type} carries no custom field definition")
    if field.tenant_id != event.tenantid:
        raise Invalid(f"the field's tenant {field.tenant_id} is not the event's {event.tenantid}")
    deleted = event.type == CUSTOM_FIELD_DELETED
    await users_db.keep_definition_if_newer(uow.session, field, deleted=deleted)
