"""`invitation.requested`, `password_reset.requested`, `login.failures_noticed`: the
directory wants an invitation (first or again), a password-reset or a warning e-mail sent."""

from typing import Any

from services.invitations.domain.emails import MailKind
from services.invitations.usecases.request_invitation import request_invitation
from services.invitations.usecases.request_password_reset import request_password_reset
from shared.contracts import CloudEvent
from shared.unit_of_work import UnitOfWork


async def on_invitation_requested(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_invitation(uow, event.tenantid, event.data)


async def on_password_reset_requested(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_password_reset(uow, event.tenantid, event.data)


async def on_login_failures_noticed(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_password_reset(uow, event.tenantid, event.data, MailKind.LOGIN_ALERT)
