"""`user.updated`, `user.deactivated`, `user.reactivated`: links to an old address or to a
departed user die."""

from typing import Any

from services.invitations.usecases.apply_user_snapshot import apply_user_snapshot
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_user_changed(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await apply_user_snapshot(uow, event.data)
