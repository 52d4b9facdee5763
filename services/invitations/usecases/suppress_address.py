"""Bounces and complaints feed the tenant's suppression list."""

import uuid

from services.invitations.db.suppressions import suppress
from services.invitations.domain.suppression import SuppressionCause, suppresses
from shared.contracts.email import EmailBounced, EmailComplained
from shared.unit_of_work import UnitOfWork


async def suppress_after_bounce(
    uow: UnitOfWork, tenant_id: uuid.UUID, bounce: EmailBounced
) -> None:
    """Only a hard bounce suppresses: soft and undetermined ones may pass next time."""
    if suppresses(bounce.kind):
        await suppress(
            uow.session,
            tenant_id,
            bounce.email,
            SuppressionCause.HARD_BOUNCE,
            bounce.reason,
            bounce.occurred_at,
        )


async def suppress_after_complaint(
    uow: UnitOfWork, tenant_id: uuid.UUID, complaint: EmailComplained
) -> None:
    await suppress(
        uow.session,
        tenant_id,
        complaint.email,
        SuppressionCause.COMPLAINT,
        complaint.feedback_type or "",
        complaint.occurred_at,
    )
