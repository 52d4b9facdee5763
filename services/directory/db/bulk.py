"""What bulk actions read and write many users at a time: the facts the rules need,
grouped for a preview or per user for a batch; memberships and sessions in one statement."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, any_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import LoginSession, Role, User, UserGroup
from shared.contracts.users import BounceKind, EmailState, UserStatus
from shared.db import uuid_array


def suppressed_address() -> ColumnElement[bool]:
    return or_(
        User.email_state == EmailState.COMPLAINED,
        and_(User.email_state == EmailState.BOUNCED, User.email_bounce_kind == BounceKind.HARD),
    )


async def facts_summary(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    actor_id: uuid.UUID,
    recent_since: datetime,
) -> list[tuple[Any, ...]]:
    """How many matching users share each combination of what the rules look at."""
    suppressed = func.coalesce(suppressed_address(), False).label("suppressed")
    recent = func.coalesce(User.invitation_requested_at > recent_since, False).label("recent")
    is_self = (User.id == actor_id).label("is_self")
    query = (
        select(User.status, Role.is_admin, suppressed, recent, is_self, func.count())
        .join(Role, Role.key == User.role)
        .where(*where)
        .group_by(User.status, Role.is_admin, suppressed, recent, is_self)
    )
    return [tuple(row) for row in await session.execute(query)]


async def sample(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], limit: int
) -> list[User]:
    query = select(User).where(*where).order_by(User.sort_name, User.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def users_with_roles(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> list[tuple[User, bool]]:
    """The users, locked in id order, each with whether their role is administrative."""
    query = (
        select(User, Role.is_admin)
        .join(Role, Role.key == User.role)
        .where(User.tenant_id == tenant_id, User.id == any_(uuid_array(user_ids)))
        .order_by(User.id)
        .with_for_update(of=User)
    )
    return [(row[0], bool(row[1])) for row in await session.execute(query)]


async def count_active_admins(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .join(Role, Role.key == User.role)
        .where(
            User.tenant_id == tenant_id, User.status == UserStatus.ACTIVE, Role.is_admin.is_(True)
        )
    )
    return int((await session.execute(query)).scalar_one())


async def revoke_sessions(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    if user_ids:
        await session.execute(
            update(LoginSession)
            .where(
                LoginSession.tenant_id == tenant_id,
                LoginSession.user_id == any_(uuid_array(user_ids)),
                LoginSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


async def add_members(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the users who were not members yet."""
    if not user_ids:
        return set()
    rows = [{"tenant_id": tenant_id, "group_id": group_id, "user_id": u} for u in user_ids]
    added = await session.execute(
        insert(UserGroup).values(rows).on_conflict_do_nothing().returning(UserGroup.user_id)
    )
    return set(added.scalars())


async def remove_members(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the users who were members."""
    if not user_ids:
        return set()
    removed = await session.execute(
        delete(UserGroup)
        .where(
            UserGroup.tenant_id == tenant_id,
            UserGroup.group_id == group_id,
            UserGroup.user_id == any_(uuid_array(user_ids)),
        )
        .returning(UserGroup.user_id)
    )
    return set(removed.scalars())
