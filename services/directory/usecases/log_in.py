"""Logging in. Every refusal looks the same whatever its reason, and takes as long: an
unknown tenant, an unknown account and a wrong password do the same work (the same
queries, a password check, the same buckets counted: `domain.login_throttle`)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.directory.db import known_devices as devices_db
from services.directory.db import login_failures as failures_db
from services.directory.db import sessions as sessions_db
from services.directory.db import tenants as tenants_db
from services.directory.db import users as users_db
from services.directory.db.activities import record_activity
from services.directory.db.models import User
from services.directory.domain.activities import ActivityKind
from services.directory.domain.login_throttle import (
    CLEARED_ON_SUCCESS,
    Bucket,
    LoginAttempt,
    LoginThrottle,
    ThrottleState,
    after_failure,
    bucket_keys,
    remaining_wait,
)
from services.directory.domain.sessions import cookie_value
from services.directory.domain.users import UserChange, UserRecord, can_log_in, normalize_email
from services.directory.usecases import login_alerts
from services.directory.usecases.unit_of_work import DirectoryUnitOfWork
from shared.contracts.users import UserStatus
from shared.security.access_tokens import Principal
from shared.security.passwords import verify_password_async
from shared.security.tokens import new_token, token_hash

# Looked up in place of a tenant that does not exist: the same queries, finding nothing.
NO_TENANT = uuid.UUID(int=0)


@dataclass(frozen=True)
class Credentials:
    tenant_slug: str
    email: str
    password: str
    user_agent: str | None
    client: str = "unknown"  # the client's address
    device: tuple[uuid.UUID, bytes] | None = None  # a well-signed known-device cookie's


@dataclass(frozen=True)
class LoginRules:
    throttle: LoginThrottle
    session_ttl: timedelta
    device_ttl: timedelta


@dataclass(frozen=True)
class LoggedIn:
    user: UserRecord
    principal: Principal
    cookie_value: str
    new_device_token: str | None  # set when this device was not known yet


@dataclass(frozen=True)
class Refused:
    retry_after: timedelta | None = None


async def log_in(
    uow: DirectoryUnitOfWork, credentials: Credentials, rules: LoginRules
) -> LoggedIn | Refused:
    """Check the credentials; on success open a session. A refusal is an answer, not an
    error: the unit of work commits either way, so that the failure is counted."""
    now = datetime.now(UTC)
    tenant = await tenants_db.get_tenant_by_slug(uow.session, credentials.tenant_slug)
    tenant_id = tenant.id if tenant else NO_TENANT
    account = normalize_email(credentials.email)
    user = await users_db.get_user_by_email(uow.session, tenant_id, account, for_update=True)
    device = await _known_device(uow, tenant_id, credentials, user, now - rules.device_ttl)
    attempt = LoginAttempt(
        credentials.tenant_slug, account, credentials.client, device.hex() if device else None
    )
    keys = bucket_keys(attempt)
    states = await failures_db.lock_and_read(uow.session, keys.values())
    wait = max((remaining_wait(states.get(key), now) for key in keys.values()), default=None)
    if wait:
        return Refused(retry_after=wait)
    password_ok = await verify_password_async(
        user.password_hash if user else None, credentials.password
    )
    if user is None or not password_ok or not can_log_in(user.status, True):
        counted = await _count_failure(uow, rules.throttle, keys, states, now)
        if user is not None:
            await _alert_if_due(uow, rules.throttle, user, counted.get(Bucket.ACCOUNT), now)
        return Refused()
    await failures_db.forget(uow.session, [keys[b] for b in CLEARED_ON_SUCCESS if b in keys])
    new_device = await _remember_device(uow, user, device, now)
    logged_in = await _open_session(uow, user, now, rules.session_ttl, credentials.user_agent)
    return LoggedIn(logged_in.user, logged_in.principal, logged_in.cookie_value, new_device)


async def _known_device(
    uow: DirectoryUnitOfWork,
    tenant_id: uuid.UUID,
    credentials: Credentials,
    user: User | None,
    used_since: datetime,
) -> bytes | None:
    """The token hash of the device cookie, when it is a known device of this user."""
    if credentials.device is None:
        return None
    device_tenant, device_hash = credentials.device
    if device_tenant != tenant_id:
        return None
    owner = await devices_db.device_owner(uow.session, tenant_id, device_hash, used_since)
    return device_hash if user is not None and owner == user.id else None


async def _count_failure(
    uow: DirectoryUnitOfWork,
    throttle: LoginThrottle,
    keys: dict[Bucket, str],
    states: dict[str, ThrottleState],
    now: datetime,
) -> dict[Bucket, ThrottleState]:
    counted = {
        bucket: after_failure(throttle.policy(bucket), states.get(key), now)
        for bucket, key in keys.items()
    }
    await failures_db.save(uow.session, {keys[bucket]: s for bucket, s in counted.items()})
    return counted


async def _alert_if_due(
    uow: DirectoryUnitOfWork,
    throttle: LoginThrottle,
    user: User,
    account: ThrottleState | None,
    now: datetime,
) -> None:
    """Tell the user once, when the failures on their account reach the threshold."""
    if account is None or account.failures != throttle.alert_after:
        return
    if user.status is not UserStatus.ACTIVE:
        return
    await login_alerts.alert_user(uow, user, account.failures, now)


async def _remember_device(
    uow: DirectoryUnitOfWork, user: User, device: bytes | None, now: datetime
) -> str | None:
    if device is not None:
        await devices_db.device_used(uow.session, user.tenant_id, device, now)
        return None
    token = new_token()
    devices_db.add_device(uow.session, user.tenant_id, user.id, token_hash(token), now)
    return token


@dataclass(frozen=True)
class _Opened:
    user: UserRecord
    principal: Principal
    cookie_value: str


async def _open_session(
    uow: DirectoryUnitOfWork, user: User, now: datetime, ttl: timedelta, user_agent: str | None
) -> _Opened:
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
    return _Opened(user, principal, cookie_value(user.tenant_id, token))
