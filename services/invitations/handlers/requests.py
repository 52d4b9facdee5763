"""`invitation.requested`: the directory wants an invitation e-mail sent (first or again)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.usecases.requests import request_invitation
from shared.contracts import CloudEvent
from shared.contracts.invitations import InvitationRequested


async def on_invitation_requested(session: AsyncSession, event: CloudEvent[Any]) -> None:
    request: InvitationRequested = event.data
    await request_invitation(session, event.tenantid, request)
