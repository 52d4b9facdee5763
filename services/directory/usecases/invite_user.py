"""Inviting a user: the account exists at once (status invited), and the invitations
service is asked to mail them a link."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import address_locks
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.domain.activities import ActivityKind
from services.directory.domain.addresses import (
    LOOKS_LIKE_ANOTHER,
    address_problem,
    address_skeletons,
    looks_like_another,
)
from services.directory.domain.users import UserChange, normalize_email
from services.directory.usecases.common import (
    assignable_role,
    check_groups,
    load_tenant,
    request_invitation,
)
from services.directory.usecases.custom_values import merge_custom_values
from services.directory.usecases.get_profile import Profile, read_profile
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import InvitationState, UserStatus
from shared.errors import Conflict, Invalid
from shared.security.access_tokens import Principal

EMAIL_TAKEN = "A user with this e-mail address already exists."


async def hold_address(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> None:
    """Until the transaction ends, no other write of a look-alike of `email` in the tenant
    (an invitation, an e-mail change, an import's batch) passes its check beside this one."""
    await address_locks.hold_skeletons(session, tenant_id, address_skeletons(email))


async def refuse_look_alike(
    session: AsyncSession, tenant_id: uuid.UUID, email: str, user_id: uuid.UUID | None = None
) -> None:
    """Conflict when `email` passes for the address of another user of the tenant (the
    caller holds the address: `hold_address`)."""
    others = await users_db.addresses_looking_like(
        session, tenant_id, address_skeletons(email), except_user=user_id
    )
    if looks_like_another(email, others):
        raise Conflict(LOOKS_LIKE_ANOTHER)


@dataclass(frozen=True)
class NewInvitation:
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    locale: str | None = None
    role: str = "learner"
    group_ids: list[uuid.UUID] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)


async def invite_user(
    uow: DirectoryUnitOfWork,
    actor: Principal,
    new: NewInvitation,
    *,
    smtputf8: bool = False,
    via: str | None = None,
) -> Profile:
    """`via`: how the admin acted when not in person (an integration's API key), recorded
    with the invitation in the user's activity."""
    if problem := address_problem(new.email.strip(), smtputf8=smtputf8):
        raise Invalid(f"email: {problem}")
    tenant = await load_tenant(uow.session, actor.tenant_id)
    email = normalize_email(new.email)
    await hold_address(uow.session, tenant.id, new.email)
    if await users_db.email_taken(uow.session, tenant.id, email):
        raise Conflict(EMAIL_TAKEN)
    await refuse_look_alike(uow.session, tenant.id, new.email)
    role = await assignable_role(uow.session, actor, new.role)
    await check_groups(uow.session, tenant.id, new.group_ids)
    values = await merge_custom_values(uow.session, tenant.id, new.custom_fields)
    now = datetime.now(UTC)
    user = users_db.add_user(
        uow.session,
        tenant_id=tenant.id,
        id=uuid.uuid4(),
        email=new.email.strip(),
        email_normalized=email,
        first_name=new.first_name,
        last_name=new.last_name,
        phone=new.phone,
        locale=new.locale or tenant.default_locale,
        role=role.key,
        status=UserStatus.INVITED,
        custom_fields=values,
        invitation_state=InvitationState.PENDING,
        invitation_request_id=uuid.uuid4(),
        invitation_requested_at=now,
        created_at=now,
    )
    uow.user_changed(user, UserChange.CREATED, at=now)
    await uow.flush(conflict=EMAIL_TAKEN)
    await users_db.set_user_groups(uow.session, tenant.id, user.id, new.group_ids)
    record_activity(
        uow.session,
        tenant.id,
        user.id,
        ActivityKind.INVITED,
        actor_id=actor.user_id,
        details={"role": role.key} | ({"via": via} if via else {}),
        occurred_at=now,
    )
    request_invitation(uow, tenant, user, actor, is_resend=False)
    return await read_profile(uow, user)
