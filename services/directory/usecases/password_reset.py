"""Password resets: asked for by anyone (the same answer whatever exists), sent by an
admin from the profile, completed through the invitations service's page.

The invitations service mails the link (`password_reset.requested`) and reports the new
password (`password_reset.completed`, its hash sealed for the directory): it replaces
the old one and every session of the user ends."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.directory.db import known_devices as devices_db
from services.directory.db import login_failures as failures_db
from services.directory.db import sessions as sessions_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import Tenant, User
from services.directory.domain.activities import ActivityKind
from services.directory.domain.login_throttle import after_failure, remaining_wait
from services.directory.domain.password_reset import (
    ResetThrottle,
    can_be_sent_a_reset,
    reset_bucket_keys,
)
from services.directory.domain.users import normalize_email
from services.directory.usecases.common import (
    load_tenant,
    load_user,
    request_account_mail,
    user_reported,
)
from services.directory.usecases.log_in import NO_TENANT
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.accounts import (
    PASSWORD_RESET_COMPLETED,
    PASSWORD_RESET_REQUESTED,
    PasswordResetCompleted,
    PasswordResetRequested,
)
from shared.errors import Conflict, Invalid
from shared.logging import get_logger
from shared.security.access_tokens import Principal
from shared.security.passwords import is_argon2id_hash
from shared.security.sealing import SealedBoxError, open_sealed

log = get_logger(__name__)


@dataclass(frozen=True)
class ResetAsked:
    tenant_slug: str
    email: str
    client: str


async def ask_for_reset(
    uow: DirectoryUnitOfWork, asked: ResetAsked, throttle: ResetThrottle
) -> timedelta | None:
    """Mail a link if the account may have one; the wait if asking is throttled. Whether
    anything was sent is never said: an unknown tenant or account does the same work
    (the same queries, the same buckets counted)."""
    now = datetime.now(UTC)
    tenant = await tenants_db.get_tenant_by_slug(uow.session, asked.tenant_slug)
    account = normalize_email(asked.email)
    user = await users_db.get_user_by_email(
        uow.session, tenant.id if tenant else NO_TENANT, account, for_update=True
    )
    keys = reset_bucket_keys(asked.tenant_slug, account, asked.client)
    states = await failures_db.lock_and_read(uow.session, keys.values())
    wait = max(remaining_wait(states.get(key), now) for key in keys.values())
    if wait:
        return wait
    counted = {
        key: after_failure(getattr(throttle, bucket), states.get(key), now)
        for bucket, key in keys.items()
    }
    await failures_db.save(uow.session, counted)
    if tenant is not None and user is not None and _eligible(user):
        _request_reset(uow, tenant, user, None, now)
    return None


def _eligible(user: User) -> bool:
    return can_be_sent_a_reset(user.status, user.password_hash is not None)


async def send_reset(uow: DirectoryUnitOfWork, actor: Principal, user_id: uuid.UUID) -> User:
    """An admin sends the user a reset link from their profile."""
    user = await load_user(uow.session, actor, user_id)
    if not _eligible(user):
        raise Conflict("Only an active user with a password can be sent a password reset.")
    tenant = await load_tenant(uow.session, actor.tenant_id)
    _request_reset(uow, tenant, user, actor.user_id, datetime.now(UTC))
    return user


def _request_reset(
    uow: DirectoryUnitOfWork, tenant: Tenant, user: User, actor: uuid.UUID | None, now: datetime
) -> None:
    request_account_mail(
        uow, PASSWORD_RESET_REQUESTED, PasswordResetRequested, tenant, user, now, requested_by=actor
    )
    record_activity(
        uow.session,
        tenant.id,
        user.id,
        ActivityKind.PASSWORD_RESET_REQUESTED,
        actor_id=actor,
        occurred_at=now,
    )


def _open_hash(completed: PasswordResetCompleted, sealing_keys: Sequence[str]) -> str:
    try:
        password_hash = open_sealed(completed.sealed_password_hash, sealing_keys)
    except SealedBoxError as error:
        raise Invalid(f"{PASSWORD_RESET_COMPLETED}: the password hash: {error}") from error
    if not is_argon2id_hash(password_hash):
        raise Invalid(f"{PASSWORD_RESET_COMPLETED} carries no argon2id password hash")
    return password_hash


async def complete_reset(
    uow: DirectoryUnitOfWork,
    tenant_id: uuid.UUID,
    event_id: str,
    completed: PasswordResetCompleted,
    sealing_keys: Sequence[str],
) -> None:
    """The new password replaces the old one; every session of the user ends, and every
    device is forgotten (whoever knew the old password may have logged in)."""
    password_hash = _open_hash(completed, sealing_keys)
    user = await user_reported(uow.session, tenant_id, completed.user_id)
    if not _eligible(user):
        log.warning("password reset completed by a user no longer active; ignored")
        return
    user.password_hash = password_hash
    now = datetime.now(UTC)
    await sessions_db.revoke_user_sessions(uow.session, tenant_id, user.id, now)
    await devices_db.forget_user_devices(uow.session, tenant_id, user.id)
    record_activity(
        uow.session,
        tenant_id,
        user.id,
        PASSWORD_RESET_COMPLETED,
        occurred_at=completed.completed_at,
        source_event_id=event_id,
    )
