"""Commands the directory answers on the bus (request/reply): what another service asks
it to do on an administrator's behalf, or to look up now, and the answer it waits for.

A command goes to its own queue through the default exchange (RabbitMQ's direct reply-to
carries the answer back); it is not an event, so it is not in the catalog of `lms.events`.
"""

import uuid
from typing import Any

from pydantic import Field

from shared.contracts.commands import CommandFailure, CommandRoute
from shared.contracts.envelope import Contract
from shared.contracts.users import GroupRef, Locale, UserSnapshot

MAX_GROUPS_PER_PAGE = 200
MAX_GROUP_NAME_LENGTH = 200  # as the directory's groups table holds them


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


class ListGroups(Contract):
    """A page of the tenant's groups, by name (case aside): those whose name comes after
    `after` (the last name of the previous page; None for the first page)."""

    tenant_id: uuid.UUID
    after: str | None = Field(default=None, min_length=1, max_length=MAX_GROUP_NAME_LENGTH)
    limit: int = Field(default=100, ge=1, le=MAX_GROUPS_PER_PAGE)


class GroupsReply(Contract):
    """The page of groups (`more`: others come after it), with how many the tenant has;
    or why not."""

    groups: list[GroupRef] = Field(default_factory=list)
    more: bool = False
    total: int = 0
    failure: CommandFailure | None = None


INVITE_USER = CommandRoute("directory.commands.invite-user", InviteUser, InviteUserReply)
LIST_GROUPS = CommandRoute("directory.commands.list-groups", ListGroups, GroupsReply)
