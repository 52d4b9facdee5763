"""Commands other services send the directory and wait for (request/reply): an
integration inviting a user (the webhooks service's `POST /api/v1/integrations/invitations`)."""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from faststream.rabbit import RabbitBroker

from services.directory.usecases.invite_for_integration import invite_for_integration
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.directory_commands import INVITE_USER_QUEUE, InviteUser, InviteUserReply
from shared.messaging.commands import answer_commands

UnitOfWorkScope = Callable[[], AbstractAsyncContextManager[DirectoryUnitOfWork]]


def answer_directory_commands(
    broker: RabbitBroker, unit_of_work: UnitOfWorkScope, *, smtputf8: bool
) -> None:
    answer_commands(
        broker, INVITE_USER_QUEUE, InviteUser, InviteUserReply, inviting(unit_of_work, smtputf8)
    )


def inviting(
    unit_of_work: UnitOfWorkScope, smtputf8: bool
) -> Callable[[InviteUser], Awaitable[InviteUserReply]]:
    async def on_invite_user(command: InviteUser) -> InviteUserReply:
        async with unit_of_work() as uow:  # the reply goes once this has committed
            user = await invite_for_integration(uow, command, smtputf8=smtputf8)
        return InviteUserReply(user=user)

    return on_invite_user
