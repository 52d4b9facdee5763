"""`custom_field.*` definitions: the exports' copy of the tenants' fields."""

from typing import Any

from services.exports.usecases.project_field import project_field
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_field_definition(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await project_field(uow, event)
