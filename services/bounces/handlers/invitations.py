"""`invitation.sent`: the e-mail went out; index it so its notices can be matched."""

from typing import Any

from services.bounces.usecases.record_sent_message import record_sent_message
from shared.contracts import CloudEvent
from shared.contracts.invitations import InvitationSent
from shared.unit_of_work import UnitOfWork


async def on_invitation_sent(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    sent: InvitationSent = event.data
    await record_sent_message(
        uow,
        tenant_id=event.tenantid,
        user_id=sent.user_id,
        invitation_id=sent.request_id,  # the invitation's id, as its tags carry it
        email=sent.email,
        message_id=sent.message_id,
        sent_at=sent.sent_at,
        is_reminder=sent.is_reminder,
    )
