"""The directory's side of an integration's group picker: the `ListGroups` command on its
queue (request/reply), sent here as the webhooks service sends it."""

import uuid

import pytest
from pydantic import BaseModel, ValidationError

from services.directory.settings import DirectorySettings
from shared.contracts.directory_commands import LIST_GROUPS, GroupsReply, ListGroups
from shared.errors import Malformed
from shared.messaging.commands import CommandClient
from tests.support.directory import Lms, create_groups, new_tenant
from tests.support.servers import RunningServer

TIMEOUT = 10.0


async def send(commands: CommandClient, sent: ListGroups) -> GroupsReply:
    return await commands.ask(LIST_GROUPS, sent, TIMEOUT, answerer="The directory")


async def test_the_directory_answers_with_the_tenants_groups_by_name(
    lms: Lms, commands: CommandClient
) -> None:
    ids = await create_groups(lms.admin, "zeta", "Alpha", "beta")

    reply = await send(commands, ListGroups(tenant_id=lms.tenant.id))

    assert [(str(g.id), g.name) for g in reply.groups] == [
        (ids["Alpha"], "Alpha"),
        (ids["beta"], "beta"),
        (ids["zeta"], "zeta"),
    ]
    assert (reply.more, reply.total, reply.failure) == (False, 3, None)


async def test_a_page_starts_after_the_name_given_case_aside(
    lms: Lms, commands: CommandClient
) -> None:
    await create_groups(lms.admin, "alpha", "Bravo", "charlie", "Delta")

    first = await send(commands, ListGroups(tenant_id=lms.tenant.id, limit=2))
    rest = await send(commands, ListGroups(tenant_id=lms.tenant.id, after="BRAVO", limit=2))

    assert ([g.name for g in first.groups], first.more) == (["alpha", "Bravo"], True)
    assert ([g.name for g in rest.groups], rest.more) == (["charlie", "Delta"], False)
    assert first.total == rest.total == 4


async def test_only_the_commands_tenants_groups_are_answered(
    lms: Lms, commands: CommandClient, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    other = await new_tenant(directory_config, directory.url, "other")
    try:
        await create_groups(other.admin, "Alpha", "Their board")
    finally:
        await other.admin.aclose()
    ours = await create_groups(lms.admin, "Alpha")

    reply = await send(commands, ListGroups(tenant_id=lms.tenant.id))
    theirs = await send(commands, ListGroups(tenant_id=other.id))

    assert [(str(g.id), g.name) for g in reply.groups] == [(ours["Alpha"], "Alpha")]
    assert reply.total == 1
    assert [g.name for g in theirs.groups] == ["Alpha", "Their board"]
    assert ours["Alpha"] not in {str(g.id) for g in theirs.groups}


class NotListGroups(BaseModel):
    tenant_id: str = "nope"
    limit: int = 0


async def test_a_command_that_is_not_one_is_answered_not_dropped(
    commands: CommandClient, lms: Lms
) -> None:
    with pytest.raises(Malformed, match="not a valid command"):
        await commands.ask(LIST_GROUPS, NotListGroups(), TIMEOUT, answerer="The directory")


def test_a_page_is_bounded() -> None:
    with pytest.raises(ValidationError, match="limit"):
        ListGroups(tenant_id=uuid.uuid4(), limit=201)
