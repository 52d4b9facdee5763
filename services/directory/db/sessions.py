"""Login sessions and the failed-login counters."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import LoginSession, LoginThrottle, Role, User
from services.directory.domain.login_throttle import ThrottleState
from shared.contracts.users import UserStatus
from shared.security.access_tokens import Principal


def open_session(
    session: AsyncSession,
    user: User,
    token_hash: bytes,
    now: datetime,
    ttl: timedelta,
    user_agent: str | None,
) -> LoginSession:
    login = LoginSession(
        tenant_id=user.tenant_id,
        id=uuid.uuid4(),
        user_id=user.id,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + ttl,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(login)
    return login


def _active_principals(now: datetime) -> Select[uuid.UUID, uuid.UUID, uuid.UUID, str, list[str]]:
    """Sessions that still authenticate: not revoked, not expired, user still active."""
    return (
        select(
            LoginSession.id,
            LoginSession.user_id,
            LoginSession.tenant_id,
            User.role,
            Role.permissions,
        )
        .join(User, (User.tenant_id == LoginSession.tenant_id) & (User.id == LoginSession.user_id))
        .join(Role, Role.key == User.role)
        .where(
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now,
            User.status == UserStatus.ACTIVE,
        )
    )


async def principal_for_token(
    session: AsyncSession, tenant_id: uuid.UUID, token_hash: bytes, now: datetime
) -> Principal | None:
    query = _active_principals(now).where(
        LoginSession.tenant_id == tenant_id, LoginSession.token_hash == token_hash
    )
    return _principal((await session.execute(query)).first())


async def principal_for_session(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> Principal | None:
    query = _active_principals(now).where(
        LoginSession.tenant_id == tenant_id, LoginSession.id == session_id
    )
    return _principal((await session.execute(query)).first())


def _principal(
    row: Row[uuid.UUID, uuid.UUID, uuid.UUID, str, list[str]] | None,
) -> Principal | None:
    if row is None:
        return None
    session_id, user_id, tenant_id, role, permissions = row
    return Principal(user_id, tenant_id, role, frozenset(permissions), session_id)


async def revoke_session(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(LoginSession)
        .where(
            LoginSession.tenant_id == tenant_id,
            LoginSession.id == session_id,
            LoginSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def revoke_user_sessions(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(LoginSession)
        .where(
            LoginSession.tenant_id == tenant_id,
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def lock_throttle_state(
    session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str
) -> ThrottleState | None:
    """Read an account name's failures, holding a lock on that name until the transaction
    ends, so parallel guesses are counted one after the other."""
    key = f"login:{tenant_id}:{email_normalized}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    row = await session.get(LoginThrottle, (tenant_id, email_normalized))
    if row is None:
        return None
    return ThrottleState(row.failures, row.last_failure_at, row.blocked_until)


async def save_throttle_state(
    session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str, state: ThrottleState
) -> None:
    values = {
        "failures": state.failures,
        "last_failure_at": state.last_failure_at,
        "blocked_until": state.blocked_until,
    }
    statement = insert(LoginThrottle).values(
        tenant_id=tenant_id, email_normalized=email_normalized, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "email_normalized"], set_=values
        )
    )


async def clear_throttle(
    session: AsyncSession, tenant_id: uuid.UUID, email_normalized: str
) -> None:
    row = await session.get(LoginThrottle, (tenant_id, email_normalized))
    if row is not None:
        await session.delete(row)
