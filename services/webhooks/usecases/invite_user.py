"""Zapier's action "Invite User": the directory invites the user, acting as the
administrator behind the caller (the API key's creator), and the answer is the new user
in the flat shape of the user events (as the search returns them)."""

from typing import Protocol

from services.webhooks.domain.callers import (
    Caller,
    acting_admin,
    acting_via,
    invitation_request_id,
)
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import Payload, user_payload
from shared.contracts.directory_commands import InviteUser, NewUser
from shared.contracts.users import UserSnapshot
from shared.errors import Forbidden

NO_ADMIN_BEHIND_KEY = (
    "This API key was not created by an administrator, so it can't invite users; "
    "ask an administrator to create a new API key."
)


class Directory(Protocol):
    async def invite_user(self, command: InviteUser) -> UserSnapshot: ...


async def invite_user(
    directory: Directory, caller: Caller, user: NewUser, idempotency_key: str | None
) -> Payload:
    admin_id = acting_admin(caller)
    if admin_id is None:
        raise Forbidden(NO_ADMIN_BEHIND_KEY)
    command = InviteUser(
        request_id=invitation_request_id(caller, idempotency_key),
        tenant_id=caller.tenant_id,
        acting_admin_id=admin_id,
        via=acting_via(caller),
        user=user,
    )
    invited = await directory.invite_user(command)
    return user_payload(
        WebhookEvent.USER_CREATED, str(command.request_id), invited.created_at, invited
    )
