"""What e-mail providers reported (through the bounces service): the envelope icons; and
the invitations service lifting an address's suppression."""

from typing import Any

from services.directory.usecases.record_email_notice import record_email_notice
from services.directory.usecases.record_suppression_lifted import record_suppression_lifted
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts import CloudEvent


async def on_email_notice(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_email_notice(uow, event.tenantid, event.id, event.data)


async def on_suppression_lifted(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_suppression_lifted(uow, event.tenantid, event.id, event.data)
