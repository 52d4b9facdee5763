"""The directory, as the integration API reaches it: commands over the bus, answered at
once (request/reply). Its refusals come back as the same domain errors."""

from shared.contracts.directory_commands import (
    INVITE_USER,
    LIST_GROUPS,
    GroupsReply,
    InviteUser,
    ListGroups,
)
from shared.contracts.users import UserSnapshot
from shared.errors import Unavailable
from shared.messaging.commands import CommandClient

ANSWERER = "The platform's directory"


class DirectoryCommands:
    def __init__(self, commands: CommandClient, timeout_seconds: float) -> None:
        self._commands = commands
        self._timeout = timeout_seconds

    async def invite_user(self, command: InviteUser) -> UserSnapshot:
        reply = await self._commands.ask(INVITE_USER, command, self._timeout, answerer=ANSWERER)
        if reply.user is None:
            raise Unavailable("The directory answered without the invited user; try again.")
        return reply.user

    async def list_groups(self, command: ListGroups) -> GroupsReply:
        return await self._commands.ask(LIST_GROUPS, command, self._timeout, answerer=ANSWERER)
