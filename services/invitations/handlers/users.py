"""`user.updated`, `user.deactivated`, `user.reactivated`: links to an old address or to a
departed user die."""

from typing import Any

from services.invitations.usecases.users import user_changed
from shared.contracts import CloudEvent
from shared.contracts.users import UserSnapshot
from shared.unit_of_work import UnitOfWork


async def on_user_changed(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    snapshot: UserSnapshot = event.data
    await user_changed(session, snapshot)
