"""`user.updated`, `user.deactivated`, `user.reactivated`: links to an old address or to a
departed user die."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.usecases.users import user_changed
from shared.contracts import CloudEvent
from shared.contracts.users import UserSnapshot


async def on_user_changed(session: AsyncSession, event: CloudEvent[Any]) -> None:
    snapshot: UserSnapshot = event.data
    await user_changed(session, snapshot)
