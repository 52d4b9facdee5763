"""An integration (Zapier's "Invite User") invites a user, acting as the administrator who
created its API key: the same invitation as the admin's own form, but never of an
administrator, refused once that admin is no longer active or allowed to invite, and done
once per request id."""

import uuid

from services.directory.db import integration_invitations as requests_db
from services.directory.db.sessions import principal_for_user
from services.directory.db.snapshots import snapshots_of
from services.directory.domain.integrations import (
    acting_admin_refusal,
    integration_powers,
    replay_refusal,
)
from services.directory.domain.users import normalize_email
from services.directory.usecases.common import load_user
from services.directory.usecases.invite_user import NewInvitation, invite_user
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.directory_commands import InviteUser
from shared.contracts.users import UserSnapshot
from shared.errors import Forbidden, Invalid
from shared.security.access_tokens import Principal


async def invite_for_integration(
    uow: DirectoryUnitOfWork, command: InviteUser, *, smtputf8: bool = False
) -> UserSnapshot:
    actor = await principal_for_user(uow.session, command.tenant_id, command.acting_admin_id)
    if (refusal := acting_admin_refusal(actor)) is not None:
        raise Forbidden(refusal)
    assert actor is not None
    email = normalize_email(command.user.email)
    if not await requests_db.claim_request(
        uow.session, command.tenant_id, command.request_id, email
    ):
        return await _invited_before(uow, actor, command, email)
    new = NewInvitation(**command.user.model_dump())
    powers = integration_powers(actor)
    profile = await invite_user(uow, powers, new, smtputf8=smtputf8, via=command.via)
    await requests_db.record_invited(
        uow.session, command.tenant_id, command.request_id, profile.user.id
    )
    return await _snapshot(uow, actor, profile.user.id)


async def _invited_before(
    uow: DirectoryUnitOfWork, actor: Principal, command: InviteUser, email: str
) -> UserSnapshot:
    """The user the same request created (as they are now)."""
    earlier = await requests_db.invited_by_request(
        uow.session, command.tenant_id, command.request_id
    )
    assert earlier is not None  # the first request's transaction set it before committing
    user_id, earlier_email = earlier
    if (refusal := replay_refusal(earlier_email, email)) is not None:
        raise Invalid(refusal)
    return await _snapshot(uow, actor, user_id)


async def _snapshot(uow: DirectoryUnitOfWork, actor: Principal, user_id: uuid.UUID) -> UserSnapshot:
    await uow.flush()
    user = await load_user(uow.session, actor, user_id, for_update=False)
    [snapshot] = await snapshots_of(uow.session, [user])
    return snapshot
