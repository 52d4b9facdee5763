"""What the invitations service reports: sent, failed, accepted, revoked; a password
chosen through a reset link."""

from collections.abc import Sequence
from typing import Any

from services.directory.usecases.accept_invitation import accept_invitation
from services.directory.usecases.password_reset import complete_reset
from services.directory.usecases.record_invitation_failed import record_invitation_failed
from services.directory.usecases.record_invitation_revoked import record_invitation_revoked
from services.directory.usecases.record_invitation_sent import record_invitation_sent
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts import CloudEvent
from shared.messaging.consumer import EventHandler


async def on_invitation_sent(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_invitation_sent(uow, event.tenantid, event.id, event.data)


async def on_invitation_failed(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_invitation_failed(uow, event.tenantid, event.id, event.data)


def accepting_invitations(sealing_keys: Sequence[str]) -> EventHandler:
    """The handler of `invitation.accepted`, holding the keys that open the password hash."""

    async def on_invitation_accepted(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
        await accept_invitation(uow, event.tenantid, event.id, event.data, sealing_keys)

    return on_invitation_accepted


async def on_invitation_revoked(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
    await record_invitation_revoked(uow, event.tenantid, event.id, event.data)


def completing_password_resets(sealing_keys: Sequence[str]) -> EventHandler:
    """The handler of `password_reset.completed`, holding the keys that open the hash."""

    async def on_password_reset_completed(uow: DirectoryUnitOfWork, event: CloudEvent[Any]) -> None:
        await complete_reset(uow, event.tenantid, event.id, event.data, sealing_keys)

    return on_password_reset_completed
