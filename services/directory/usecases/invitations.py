"""Inviting a user, and sending the invitation again."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import Tenant, User
from services.directory.domain import invitation_state
from services.directory.domain.users import ensure_can_resend_invitation, normalize_email
from services.directory.snapshots import SOURCE, publish_user_event
from services.directory.usecases.common import (
    assignable_role,
    check_groups,
    flush_unique,
    load_tenant,
    load_user,
)
from services.directory.usecases.custom_values import merge_custom_values
from shared.contracts import new_event
from shared.contracts.invitations import INVITATION_REQUESTED, InvitationRequested
from shared.contracts.users import USER_CREATED, USER_UPDATED, InvitationState, UserStatus
from shared.errors import Conflict, RateLimited
from shared.messaging.outbox import enqueue
from shared.security.access_tokens import Principal

EMAIL_TAKEN = "A user with this e-mail address already exists."


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


async def invite_user(session: AsyncSession, actor: Principal, new: NewInvitation) -> User:
    tenant = await load_tenant(session, actor.tenant_id)
    email = normalize_email(new.email)
    if await users_db.email_taken(session, tenant.id, email):
        raise Conflict(EMAIL_TAKEN)
    role = await assignable_role(session, actor, new.role)
    await check_groups(session, tenant.id, new.group_ids)
    values = await merge_custom_values(session, tenant.id, new.custom_fields)
    now = datetime.now(UTC)
    user = User(
        tenant_id=tenant.id,
        id=uuid.uuid4(),
        email=new.email.strip(),
        email_normalized=email,
        first_name=new.first_name,
        last_name=new.last_name,
        phone=new.phone,
        locale=new.locale or tenant.default_locale,
        role=role.key,
        status=UserStatus.INVITED.value,
        custom_fields=values,
        invitation_state=InvitationState.PENDING.value,
        invitation_request_id=uuid.uuid4(),
        invitation_requested_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await flush_unique(session, EMAIL_TAKEN)
    await users_db.set_user_groups(session, tenant.id, user.id, new.group_ids)
    record_activity(
        session,
        tenant.id,
        user.id,
        "user.invited",
        actor_id=actor.user_id,
        details={"role": role.key},
        occurred_at=now,
    )
    await publish_user_event(session, USER_CREATED, user)
    await _request_invitation(session, tenant, user, actor, is_resend=False)
    return user


async def resend_invitation(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, min_interval: timedelta
) -> User:
    user = await load_user(session, actor, user_id)
    ensure_can_resend_invitation(UserStatus(user.status))
    now = datetime.now(UTC)
    wait = invitation_state.resend_wait(user.invitation_requested_at, now, min_interval)
    if wait:
        raise RateLimited(
            "An invitation was just sent to this user; wait a little before sending another.",
            retry_after=wait,
        )
    tenant = await load_tenant(session, actor.tenant_id)
    user.invitation_request_id = uuid.uuid4()
    user.invitation_state = invitation_state.after_request(
        InvitationState(user.invitation_state)
    ).value
    user.invitation_requested_at = user.updated_at = now
    user.invitation_resend_count += 1
    record_activity(
        session, tenant.id, user.id, "invitation.resend_requested", actor_id=actor.user_id
    )
    await publish_user_event(session, USER_UPDATED, user)
    await _request_invitation(session, tenant, user, actor, is_resend=True)
    return user


async def _request_invitation(
    session: AsyncSession, tenant: Tenant, user: User, actor: Principal, *, is_resend: bool
) -> None:
    assert user.invitation_request_id is not None
    request = InvitationRequested(
        request_id=user.invitation_request_id,
        user_id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        locale=user.locale,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        requested_by=actor.user_id,
        requested_at=datetime.now(UTC),
        is_resend=is_resend,
    )
    event = new_event(
        INVITATION_REQUESTED, source=SOURCE, tenant_id=tenant.id, subject=str(user.id), data=request
    )
    await enqueue(session, event)
