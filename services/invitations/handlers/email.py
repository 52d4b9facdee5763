"""`email.bounced` (hard) and `email.complained` feed the suppression list."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.invitations.db.suppressions import suppress
from services.invitations.domain.suppression import SuppressionCause, suppresses
from shared.contracts import CloudEvent
from shared.contracts.email import EmailBounced, EmailComplained


async def on_email_bounced(session: AsyncSession, event: CloudEvent[Any]) -> None:
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


async def on_email_complained(session: AsyncSession, event: CloudEvent[Any]) -> None:
    complaint: EmailComplained = event.data
    await suppress(
        session,
        event.tenantid,
        complaint.email,
        SuppressionCause.COMPLAINT,
        complaint.feedback_type or "",
        complaint.occurred_at,
    )
