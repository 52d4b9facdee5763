"""Commands the directory answers on the bus (request/reply): what another service asks
it to do on an administrator's behalf, and the answer it waits for.

A command goes to its own queue through the default exchange (RabbitMQ's direct reply-to
carries the answer back); it is not an event, so it is not in the catalog of `lms.events`.
"""

import uuid
from typing import Any

from pydantic import Field

from shared.contracts.commands import CommandFailure
from shared.contracts.envelope import Contract
from shared.contracts.users import Locale, UserSnapshot

INVITE_USER_QUEUE = "directory.commands.invite-user"


class NewUser(Contract):
    """The invitation's fields, as the directory's own invitation form takes them."""

    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    locale: Locale | None = None
    role: str = "learner"
    group_ids: list[uuid.UUID] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class InviteUser(Contract):
    """Invite a user, acting as `acting_admin_id` (who created the API key, or the admin
    calling): the directory refuses unless they are still an active admin allowed to invite.
    The same `request_id` twice creates one user: the second answer is that user."""

    request_id: uuid.UUID
    tenant_id: uuid.UUID
    acting_admin_id: uuid.UUID
    via: str = Field(description='How the admin acts, for the record: "API key lms_live_ab12".')
    user: NewUser


class InviteUserReply(Contract):
    """Either the invited user, in the snapshot of the user events, or why not."""

    user: UserSnapshot | None = None
    failure: CommandFailure | None = None
