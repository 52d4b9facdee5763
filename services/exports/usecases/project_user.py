"""A `user.*` snapshot arrived: keep it in the projection if it is newer than the one kept
(messages may come twice, or out of order: an older version changes nothing)."""

from typing import Any

from services.exports.db import users as users_db
from services.exports.domain.projection import fields_seen, projected_user
from shared.contracts import CloudEvent
from shared.contracts.users import UserSnapshot
from shared.errors import Invalid
from shared.unit_of_work import UnitOfWork


async def project_user(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    user = event.data
    if not isinstance(user, UserSnapshot):
        raise Invalid(f"{event.type} carries no user snapshot")
    if user.tenant_id != event.tenantid:
        raise Invalid(f"the snapshot's tenant {user.tenant_id} is not the event's {event.tenantid}")
    if await users_db.keep_if_newer(uow.session, projected_user(user)):
        await users_db.remember_fields(uow.session, user.tenant_id, fields_seen(user))
