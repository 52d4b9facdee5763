"""Sending a user's invitation again: a new request (a new link), at most once per
`min_interval`."""

import uuid
from datetime import UTC, datetime, timedelta

from services.directory.db.activities import record_activity
from services.directory.domain import invitation_state
from services.directory.domain.activities import ActivityKind
from services.directory.domain.users import ensure_can_resend_invitation
from services.directory.usecases.common import load_tenant, load_user, request_invitation
from services.directory.usecases.get_profile import Profile, read_profile
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.errors import RateLimited
from shared.security.access_tokens import Principal


async def resend_invitation(
    uow: DirectoryUnitOfWork, actor: Principal, user_id: uuid.UUID, min_interval: timedelta
) -> Profile:
    user = await load_user(uow.session, actor, user_id)
    ensure_can_resend_invitation(user.status)
    now = datetime.now(UTC)
    wait = invitation_state.resend_wait(user.invitation_requested_at, now, min_interval)
    if wait:
        raise RateLimited(
            "An invitation was just sent to this user; wait a little before sending another.",
            retry_after=wait,
        )
    tenant = await load_tenant(uow.session, actor.tenant_id)
    user.invitation_request_id = uuid.uuid4()
    user.invitation_state = invitation_state.after_request(user.invitation_state)
    user.invitation_requested_at = now
    user.invitation_resend_count += 1
    uow.user_changed(user, at=now)
    record_activity(
        uow.session, tenant.id, user.id, ActivityKind.RESEND_REQUESTED, actor_id=actor.user_id
    )
    request_invitation(uow, tenant, user, actor, is_resend=True)
    return await read_profile(uow, user)
