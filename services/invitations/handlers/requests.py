"""`invitation.requested`, `password_reset.requested`, `login.failures_noticed`: the
directory wants an invitation (first or again), a password-reset or a warning e-mail sent."""

from collections.abc import Sequence
from typing import Any

from services.invitations.domain.emails import MailKind
from services.invitations.usecases.request_invitation import (
    request_invitation,
    request_invitations,
)
from services.invitations.usecases.request_password_reset import request_password_reset
from shared.contracts import CloudEvent
from shared.messaging.batches import ManyAtOnce
from shared.unit_of_work import UnitOfWork


async def _invitation_requested(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_invitation(uow, event.tenantid, event.data)


async def _invitations_requested(uow: UnitOfWork, events: Sequence[CloudEvent[Any]]) -> None:
    await request_invitations(uow, [(event.tenantid, event.data) for event in events])


# A bulk invitation is thousands of requests in a burst: those of a batch, recorded together.
on_invitation_requested = ManyAtOnce(_invitation_requested, _invitations_requested)


async def on_password_reset_requested(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_password_reset(uow, event.tenantid, event.data)


async def on_login_failures_noticed(uow: UnitOfWork, event: CloudEvent[Any]) -> None:
    await request_password_reset(uow, event.tenantid, event.data, MailKind.LOGIN_ALERT)
