"""Logging in. Every refusal looks the same whatever its reason, and takes as long; failures
are counted per account name (`domain.login_throttle`), whether or not it exists."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.directory.db import sessions as sessions_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import User
from services.directory.domain.activities import ActivityKind
from services.directory.domain.login_throttle import ThrottlePolicy, after_failure, remaining_wait
from services.directory.domain.sessions import cookie_value
from services.directory.domain.users import UserChange, UserRecord, can_log_in, normalize_email
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.security.access_tokens import Principal
from shared.security.passwords import verify_password_async
from shared.security.tokens import new_token, token_hash


@dataclass(frozen=True)
class Credentials:
    tenant_slug: str
    email: str
    password: str
    user_agent: str | None


@dataclass(frozen=True)
class LoggedIn:
    user: UserRecord
    principal: Principal
    cookie_value: str


@dataclass(frozen=True)
class Refused:
    retry_after: timedelta | None = None


async def log_in(
    uow: DirectoryUnitOfWork,
    credentials: Credentials,
    policy: ThrottlePolicy,
    session_ttl: timedelta,
) -> LoggedIn | Refused:
    """Check the credentials; on success open a session. A refusal is an answer, not an
    error: the unit of work commits either way, so that the failure is counted."""
    now = datetime.now(UTC)
    tenant = await tenants_db.get_tenant_by_slug(uow.session, credentials.tenant_slug)
    if tenant is None:
        await verify_password_async(None, credentials.password)  # same time as a real check
        return Refused()
    account = normalize_email(credentials.email)
    throttle = await sessions_db.lock_throttle_state(uow.session, tenant.id, account)
    wait = remaining_wait(throttle, now)
    if wait:
        return Refused(retry_after=wait)
    user = await users_db.get_user_by_email(uow.session, tenant.id, account, for_update=True)
    password_ok = await verify_password_async(
        user.password_hash if user else None, credentials.password
    )
    if user is None or not password_ok or not can_log_in(user.status, True):
        state = after_failure(policy, throttle, now)
        await sessions_db.save_throttle_state(uow.session, tenant.id, account, state)
        return Refused()
    await sessions_db.clear_throttle(uow.session, tenant.id, account)
    return await _open_session(uow, user, now, session_ttl, credentials.user_agent)


async def _open_session(
    uow: DirectoryUnitOfWork, user: User, now: datetime, ttl: timedelta, user_agent: str | None
) -> LoggedIn:
    token = new_token()
    login = sessions_db.open_session(uow.session, user, token_hash(token), now, ttl, user_agent)
    role = await tenants_db.get_role(uow.session, user.role)
    user.last_login_at = now
    uow.user_changed(user, UserChange.LOGGED_IN, at=now)
    record_activity(
        uow.session,
        user.tenant_id,
        user.id,
        ActivityKind.LOGGED_IN,
        actor_id=user.id,
        occurred_at=now,
    )
    principal = Principal(
        user.id, user.tenant_id, user.role, role.permissions if role else frozenset(), login.id
    )
    return LoggedIn(user, principal, cookie_value(user.tenant_id, token))
