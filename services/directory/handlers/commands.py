"""Commands other services send the directory and wait for (request/reply): an
integration inviting a user (the webhooks service's `POST /api/v1/integrations/invitations`)
or listing the groups to pick from (`GET /api/v1/integrations/groups`)."""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from faststream.rabbit import RabbitBroker

from services.directory.usecases.invite_for_integration import invite_for_integration
from services.directory.usecases.list_groups import groups_page
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.directory_commands import (
    INVITE_USER,
    LIST_GROUPS,
    GroupsReply,
    InviteUser,
    InviteUserReply,
    ListGroups,
)
from shared.messaging.commands import answer_commands

UnitOfWorkScope = Callable[[], AbstractAsyncContextManager[DirectoryUnitOfWork]]


def answer_directory_commands(
    broker: RabbitBroker, unit_of_work: UnitOfWorkScope, *, smtputf8: bool
) -> None:
    answer_commands(broker, INVITE_USER, inviting(unit_of_work, smtputf8))
    answer_commands(broker, LIST_GROUPS, listing(unit_of_work))


def inviting(
    unit_of_work: UnitOfWorkScope, smtputf8: bool
) -> Callable[[InviteUser], Awaitable[InviteUserReply]]:
    async def on_invite_user(command: InviteUser) -> InviteUserReply:
        async with unit_of_work() as uow:  # the reply goes once this has committed
            user = await invite_for_integration(uow, command, smtputf8=smtputf8)
        return InviteUserReply(user=user)

    return on_invite_user


def listing(unit_of_work: UnitOfWorkScope) -> Callable[[ListGroups], Awaitable[GroupsReply]]:
    async def on_list_groups(command: ListGroups) -> GroupsReply:
        async with unit_of_work() as uow:
            return await groups_page(uow, command)

    return on_list_groups
