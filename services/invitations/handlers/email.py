"""`email.bounced` (hard) and `email.complained` feed the suppression list."""

from typing import Any

from services.invitations.usecases.suppress_address import (
    suppress_after_bounce,
    suppress_after_complaint,
)
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_email_bounced(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await suppress_after_bounce(uow, event.tenantid, event.data)


async def on_email_complained(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await suppress_after_complaint(uow, event.tenantid, event.data)
