"""The directory's side of an integration's group picker: the `ListGroups` command on its
queue (request/reply), sent here as the webhooks service sends it."""

import uuid

import pytest
from faststream.rabbit import RabbitBroker
from pydantic import ValidationError

from services.directory.settings import DirectorySettings
from shared.contracts.directory_commands import LIST_GROUPS_QUEUE, GroupsReply, ListGroups
from shared.messaging.commands import ask
from tests.support.directory import Lms, create_groups, new_tenant
from tests.support.servers import RunningServer

TIMEOUT = 10.0


async def send(broker: RabbitBroker, sent: ListGroups) -> GroupsReply:
    return await ask(
        broker, LIST_GROUPS_QUEUE, sent, GroupsReply, TIMEOUT, answerer="The directory"
    )


async def test_the_directory_answers_with_the_tenants_groups_by_name(
    lms: Lms, broker: RabbitBroker
) -> None:
    ids = await create_groups(lms.admin, "zeta", "Alpha", "beta")

    reply = await send(broker, ListGroups(tenant_id=lms.tenant.id))

    assert [(str(g.id), g.name) for g in reply.groups] == [
        (ids["Alpha"], "Alpha"),
        (ids["beta"], "beta"),
        (ids["zeta"], "zeta"),
    ]
    assert (reply.more, reply.total, reply.failure) == (False, 3, None)


async def test_a_page_starts_after_the_name_given_case_aside(
    lms: Lms, broker: RabbitBroker
) -> None:
    await create_groups(lms.admin, "alpha", "Bravo", "charlie", "Delta")

    first = await send(broker, ListGroups(tenant_id=lms.tenant.id, limit=2))
    rest = await send(broker, ListGroups(tenant_id=lms.tenant.id, after="BRAVO", limit=2))

    assert ([g.name for g in first.groups], first.more) == (["alpha", "Bravo"], True)
    assert ([g.name for g in rest.groups], rest.more) == (["charlie", "Delta"], False)
    assert first.total == rest.total == 4


async def test_only_the_commands_tenants_groups_are_answered(
    lms: Lms, broker: RabbitBroker, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    other = await new_tenant(directory_config, directory.url, "other")
    try:
        await create_groups(other.admin, "Alpha", "Their board")
    finally:
        await other.admin.aclose()
    ours = await create_groups(lms.admin, "Alpha")

    reply = await send(broker, ListGroups(tenant_id=lms.tenant.id))
    theirs = await send(broker, ListGroups(tenant_id=other.id))

    assert [(str(g.id), g.name) for g in reply.groups] == [(ours["Alpha"], "Alpha")]
    assert reply.total == 1
    assert [g.name for g in theirs.groups] == ["Alpha", "Their board"]
    assert ours["Alpha"] not in {str(g.id) for g in theirs.groups}


async def test_a_command_that_is_not_one_is_answered_not_dropped(
    broker: RabbitBroker, lms: Lms
) -> None:
    answer = await broker.request(
        b'{"tenant_id": "nope", "limit": 0}', LIST_GROUPS_QUEUE, timeout=TIMEOUT
    )

    reply = GroupsReply.model_validate_json(answer.body)
    assert reply.failure is not None
    assert reply.failure.kind == "Malformed"


def test_a_page_is_bounded() -> None:
    with pytest.raises(ValidationError, match="limit"):
        ListGroups(tenant_id=uuid.uuid4(), limit=201)
