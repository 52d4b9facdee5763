"""`invitation.requested`: the directory wants an invitation e-mail sent (first or again)."""

from typing import Any

from services.invitations.usecases.requests import request_invitation
from shared.contracts import CloudEvent
from shared.contracts.invitations import InvitationRequested
from shared.unit_of_work import UnitOfWork


async def on_invitation_requested(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    request: InvitationRequested = event.data
    await request_invitation(session, event.tenantid, request)
