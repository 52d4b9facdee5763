"""The directory, as the integration API reaches it: commands over the bus, answered at
once (request/reply). Its refusals come back as the same domain errors."""

from faststream.rabbit import RabbitBroker

from shared.contracts.directory_commands import (
    INVITE_USER_QUEUE,
    LIST_GROUPS_QUEUE,
    GroupsReply,
    InviteUser,
    InviteUserReply,
    ListGroups,
)
from shared.contracts.users import UserSnapshot
from shared.errors import Unavailable
from shared.messaging.commands import ask

ANSWERER = "The platform's directory"


class DirectoryCommands:
    def __init__(self, broker: RabbitBroker, timeout_seconds: float) -> None:
        self._broker = broker
        self._timeout = timeout_seconds

    async def invite_user(self, command: InviteUser) -> UserSnapshot:
        reply = await ask(
            self._broker,
            INVITE_USER_QUEUE,
            command,
            InviteUserReply,
            self._timeout,
            answerer=ANSWERER,
        )
        if reply.user is None:
            raise Unavailable("The directory answered without the invited user; try again.")
        return reply.user

    async def list_groups(self, command: ListGroups) -> GroupsReply:
        return await ask(
            self._broker, LIST_GROUPS_QUEUE, command, GroupsReply, self._timeout, answerer=ANSWERER
        )
