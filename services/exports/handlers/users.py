"""`user.*` snapshots: the exports' copy of the users."""

from typing import Any

from services.exports.usecases.project_user import project_user
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_user_snapshot(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await project_user(uow, event)
