"""`email.bounced` and `email.complained` feed the suppression list; `email.delivered`
resets an address's soft bounces and may lift its suppression (domain/suppression.py)."""

from typing import Any

from services.invitations.usecases.record_delivery import record_delivery
from services.invitations.usecases.suppress_address import (
    suppress_after_bounce,
    suppress_after_complaint,
)
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_email_bounced(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await suppress_after_bounce(uow, event.tenantid, event.id, event.data)


async def on_email_complained(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await suppress_after_complaint(uow, event.tenantid, event.id, event.data)


async def on_email_delivered(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await record_delivery(uow, event.tenantid, event.data)
