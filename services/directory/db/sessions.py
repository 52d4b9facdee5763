"""Login sessions."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Row, Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import LoginSession, Role, User
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


def _active_principals() -> Select[uuid.UUID, uuid.UUID, uuid.UUID, str, list[str]]:
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
            LoginSession.expires_at > bindparam("now"),
            User.status == UserStatus.ACTIVE,
            LoginSession.tenant_id == bindparam("tenant_id"),
        )
    )


# Built once: every request runs one of them (building the statement cost more CPU than
# running it). Run on the session's connection: rows, no ORM bookkeeping.
_BY_TOKEN = _active_principals().where(LoginSession.token_hash == bindparam("token_hash"))
_BY_SESSION = _active_principals().where(LoginSession.id == bindparam("session_id"))


async def principal_for_token(
    session: AsyncSession, tenant_id: uuid.UUID, token_hash: bytes, now: datetime
) -> Principal | None:
    values = {"tenant_id": tenant_id, "token_hash": token_hash, "now": now}
    return _principal((await (await session.connection()).execute(_BY_TOKEN, values)).first())


async def principal_for_session(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> Principal | None:
    values = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    return _principal((await (await session.connection()).execute(_BY_SESSION, values)).first())


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


async def principal_for_user(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> Principal | None:
    """A user of the tenant acting without a session (an integration acts as the admin who
    made its key): who they are and may do now, or None unless they are active."""
    query = (
        select(User.role, Role.permissions)
        .join(Role, Role.key == User.role)
        .where(User.tenant_id == tenant_id, User.id == user_id, User.status == UserStatus.ACTIVE)
    )
    row = (await session.execute(query)).first()
    if row is None:
        return None
    role, permissions = row
    return Principal(user_id, tenant_id, role, frozenset(permissions))
