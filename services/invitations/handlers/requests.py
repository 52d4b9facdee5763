"""`invitation.requested`: the directory wants an invitation e-mail sent (first or again)."""

from typing import Any

from services.invitations.usecases.request_invitation import request_invitation
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_invitation_requested(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_invitation(uow, event.tenantid, event.data)
