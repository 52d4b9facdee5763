"""The directory's side of an integration's invitation: the `InviteUser` command on its
queue (request/reply), sent here as the webhooks service sends it."""

import uuid

import pytest
from pydantic import BaseModel

from services.directory.settings import DirectorySettings
from shared.contracts.directory_commands import (
    INVITE_USER,
    InviteUser,
    InviteUserReply,
    NewUser,
)
from shared.errors import Forbidden, Invalid, Malformed
from shared.messaging.commands import CommandClient
from tests.support.directory import Lms, new_tenant
from tests.support.servers import RunningServer

TIMEOUT = 10.0


async def send(commands: CommandClient, sent: InviteUser) -> InviteUserReply:
    return await commands.ask(INVITE_USER, sent, TIMEOUT, answerer="The directory")


def command(lms: Lms, **changes: object) -> InviteUser:
    values: dict[str, object] = {
        "request_id": uuid.uuid4(),
        "tenant_id": lms.tenant.id,
        "acting_admin_id": lms.tenant.admin_id,
        "via": "API key lms_live_test",
        "user": NewUser(
            email=f"cmd-{uuid.uuid4().hex[:8]}@example.com", first_name="Léa", last_name="Fortin"
        ),
        **changes,
    }
    return InviteUser.model_validate(values)


async def test_the_directory_answers_with_the_invited_users_snapshot(
    lms: Lms, commands: CommandClient
) -> None:
    sent = command(lms)

    reply = await send(commands, sent)

    assert reply.user is not None
    assert (reply.user.email, reply.user.status) == (sent.user.email, "invited")
    [created] = await lms.bus.wait_for("user.created", subject=str(reply.user.id))
    assert created.data["version"] == reply.user.version, "the snapshot the event carries"


async def test_an_admin_of_another_tenant_acts_for_no_one_here(
    lms: Lms, commands: CommandClient, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    other = await new_tenant(directory_config, directory.url, "other")
    await other.admin.aclose()
    forged = command(lms, acting_admin_id=other.admin_id)

    with pytest.raises(Forbidden, match="no longer an active user"):
        await send(commands, forged)


async def test_the_same_request_again_answers_with_the_first_user(
    lms: Lms, commands: CommandClient
) -> None:
    first = command(lms)
    again = first.model_copy(update={"user": first.user.model_copy(update={"first_name": "Zoé"})})

    one = await send(commands, first)
    two = await send(commands, again)

    assert one.user is not None
    assert two.user is not None
    assert two.user.id == one.user.id
    assert two.user.first_name == "Léa", "the request made once, the retry changes nothing"


class NotInviteUser(BaseModel):
    tenant_id: str = "nope"


async def test_a_command_that_is_not_one_is_answered_not_dropped(
    commands: CommandClient, lms: Lms
) -> None:
    with pytest.raises(Malformed, match="not a valid command"):
        await commands.ask(INVITE_USER, NotInviteUser(), TIMEOUT, answerer="The directory")


async def test_the_same_request_id_for_another_address_is_refused(
    lms: Lms, commands: CommandClient
) -> None:
    first = command(lms)
    other_address = first.user.model_copy(update={"email": "someone.else@example.com"})
    reused = first.model_copy(update={"user": other_address})
    await send(commands, first)

    with pytest.raises(Invalid, match=first.user.email):
        await send(commands, reused)
