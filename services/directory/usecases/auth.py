"""Logging in and out. Every refusal looks the same, whatever its reason."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import sessions as sessions_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import Session, User
from services.directory.domain.login_throttle import ThrottlePolicy, after_failure, remaining_wait
from services.directory.domain.users import can_log_in, normalize_email
from services.directory.snapshots import publish_user_event
from shared.contracts.users import USER_LOGGED_IN, UserStatus
from shared.security.access_tokens import Principal
from shared.security.passwords import verify_password_async
from shared.security.tokens import new_token, token_hash

SESSION_COOKIE_SEPARATOR = "."


@dataclass(frozen=True)
class LoggedIn:
    user: User
    principal: Principal
    cookie_value: str


@dataclass(frozen=True)
class Refused:
    retry_after: timedelta | None = None


async def log_in(
    session: AsyncSession,
    *,
    tenant_slug: str,
    email: str,
    password: str,
    policy: ThrottlePolicy,
    session_ttl: timedelta,
    user_agent: str | None,
) -> LoggedIn | Refused:
    """Check the credentials; on success open a session. The caller commits either way,
    so that failures are counted."""
    now = datetime.now(UTC)
    tenant = await tenants_db.get_tenant_by_slug(session, tenant_slug)
    if tenant is None:
        await verify_password_async(None, password)  # same time as a real check
        return Refused()
    account = normalize_email(email)
    throttle = await sessions_db.lock_throttle_state(session, tenant.id, account)
    wait = remaining_wait(throttle, now)
    if wait:
        return Refused(retry_after=wait)
    user = await users_db.get_user_by_email(session, tenant.id, account, for_update=True)
    password_ok = await verify_password_async(user.password_hash if user else None, password)
    if user is None or not password_ok or not can_log_in(UserStatus(user.status), True):
        await sessions_db.save_throttle_state(
            session, tenant.id, account, after_failure(policy, throttle, now)
        )
        return Refused()
    await sessions_db.clear_throttle(session, tenant.id, account)
    return await _open_session(session, user, now, session_ttl, user_agent)


async def _open_session(
    session: AsyncSession, user: User, now: datetime, ttl: timedelta, user_agent: str | None
) -> LoggedIn:
    token = new_token()
    login = Session(
        tenant_id=user.tenant_id,
        id=uuid.uuid4(),
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + ttl,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(login)
    role = await tenants_db.get_role(session, user.role)
    user.last_login_at = user.updated_at = now
    record_activity(session, user.tenant_id, user.id, "login", actor_id=user.id, occurred_at=now)
    await publish_user_event(session, USER_LOGGED_IN, user)
    principal = Principal(
        user.id, user.tenant_id, user.role, role.permissions if role else frozenset(), login.id
    )
    return LoggedIn(user, principal, f"{user.tenant_id}{SESSION_COOKIE_SEPARATOR}{token}")


def parse_cookie(value: str) -> tuple[uuid.UUID, bytes] | None:
    """The tenant and token hash a session cookie names, or None if it is malformed."""
    tenant, _, token = value.partition(SESSION_COOKIE_SEPARATOR)
    try:
        return uuid.UUID(tenant), token_hash(token)
    except ValueError:
        return None


async def principal_from_cookie(session: AsyncSession, value: str) -> Principal | None:
    parsed = parse_cookie(value)
    if parsed is None:
        return None
    tenant_id, hashed = parsed
    return await sessions_db.principal_for_token(session, tenant_id, hashed, datetime.now(UTC))


async def log_out(session: AsyncSession, principal: Principal) -> None:
    if principal.session_id is not None:
        await sessions_db.revoke_session(
            session, principal.tenant_id, principal.session_id, datetime.now(UTC)
        )
