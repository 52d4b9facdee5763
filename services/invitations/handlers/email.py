"""`email.bounced` (hard) and `email.complained` feed the suppression list."""

from typing import Any

from services.invitations.db.suppressions import suppress
from services.invitations.domain.suppression import SuppressionCause, suppresses
from shared.contracts import CloudEvent
from shared.contracts.email import EmailBounced, EmailComplained
from shared.unit_of_work import UnitOfWork


async def on_email_bounced(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    bounce: EmailBounced = event.data
    if suppresses(bounce.kind):
        await suppress(
            session,
            event.tenantid,
            bounce.email,
            SuppressionCause.HARD_BOUNCE,
            bounce.reason,
            bounce.occurred_at,
        )


async def on_email_complained(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    session = uow.session
    complaint: EmailComplained = event.data
    await suppress(
        session,
        event.tenantid,
        complaint.email,
        SuppressionCause.COMPLAINT,
        complaint.feedback_type or "",
        complaint.occurred_at,
    )
