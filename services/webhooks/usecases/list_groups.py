"""The groups a Zapier user picks from (the "Invite User" action's Groups field): the
caller's tenant's groups by name, a page at a time, asked of the directory over the bus."""

from typing import Protocol

from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.views import GroupsPage
from shared.contracts.directory_commands import MAX_GROUP_NAME_LENGTH, GroupsReply, ListGroups
from shared.errors import Malformed
from shared.schemas import BAD_CURSOR, decode_cursor, encode_cursor


class Directory(Protocol):
    async def list_groups(self, command: ListGroups) -> GroupsReply: ...


async def list_groups(
    directory: Directory, caller: Caller, limit: int, cursor: str | None
) -> GroupsPage:
    after = _after(cursor) if cursor else None
    reply = await directory.list_groups(
        ListGroups(tenant_id=caller.tenant_id, after=after, limit=limit)
    )
    last = reply.groups[-1] if reply.groups and reply.more else None
    next_cursor = encode_cursor({"after": last.name}) if last else None
    return GroupsPage(reply.groups, next_cursor, reply.total)


def _after(cursor: str) -> str:
    after = decode_cursor(cursor).get("after")
    if not isinstance(after, str) or not 0 < len(after) <= MAX_GROUP_NAME_LENGTH:
        raise Malformed(BAD_CURSOR)
    return after
