"""Groups and who is in them."""

import uuid
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db.models import Group, UserGroup

Lock = Literal["share", "update"] | None


async def list_groups_with_counts(
    session: AsyncSession, tenant_id: uuid.UUID
) -> list[tuple[Group, int]]:
    counts = (
        select(UserGroup.group_id, func.count().label("members"))
        .where(UserGroup.tenant_id == tenant_id)
        .group_by(UserGroup.group_id)
        .subquery()
    )
    query = (
        select(Group, func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.group_id == Group.id)
        .where(Group.tenant_id == tenant_id)
        .order_by(func.lower(Group.name))
    )
    return [(group, members) for group, members in await session.execute(query)]


async def groups_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, after: str | None, limit: int
) -> list[Group]:
    """Up to `limit` groups in the order of their names, case aside, from the one after
    `after`: names are unique that way in a tenant (uq_groups_name), which this walks."""
    query = select(Group).where(Group.tenant_id == tenant_id)
    if after is not None:
        query = query.where(func.lower(Group.name) > func.lower(after))
    query = query.order_by(func.lower(Group.name)).limit(limit)
    return list((await session.execute(query)).scalars())


async def count_groups(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Group).where(Group.tenant_id == tenant_id)
    return int((await session.execute(query)).scalar_one())


async def get_group(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID, *, lock: Lock = None
) -> Group | None:
    """`lock="share"` keeps the group from being deleted until the transaction ends (taken
    before adding a member); `lock="update"` waits for those and keeps new ones out."""
    query = select(Group).where(Group.tenant_id == tenant_id, Group.id == group_id)
    if lock is not None:
        query = query.with_for_update(key_share=lock == "share")
    return (await session.execute(query)).scalar_one_or_none()


async def existing_group_ids(
    session: AsyncSession, tenant_id: uuid.UUID, group_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    if not group_ids:
        return set()
    query = (
        select(Group.id)
        .where(Group.tenant_id == tenant_id, Group.id.in_(group_ids))
        .order_by(Group.id)
        .with_for_update(key_share=True)  # not deleted before the memberships are written
    )
    return set((await session.execute(query)).scalars())


async def group_name_taken(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, except_id: uuid.UUID | None = None
) -> bool:
    query = select(Group.id).where(
        Group.tenant_id == tenant_id, func.lower(Group.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Group.id != except_id)
    return (await session.execute(query)).first() is not None


async def member_ids(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID
) -> list[uuid.UUID]:
    query = select(UserGroup.user_id).where(
        UserGroup.tenant_id == tenant_id, UserGroup.group_id == group_id
    )
    return list((await session.execute(query)).scalars())


def add_group(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Group:
    group = Group(tenant_id=tenant_id, id=uuid.uuid4(), name=name)
    session.add(group)
    return group


async def delete_group(session: AsyncSession, group: Group) -> None:
    """The group and its memberships (ON DELETE CASCADE)."""
    await session.delete(group)
    await session.flush()


async def add_member(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """False when the user already was a member."""
    added = await session.execute(
        insert(UserGroup)
        .values(tenant_id=tenant_id, user_id=user_id, group_id=group_id)
        .on_conflict_do_nothing()
        .returning(UserGroup.user_id)
    )
    return added.first() is not None


async def remove_member(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """False when the user was not a member."""
    removed = await session.execute(
        delete(UserGroup)
        .where(
            UserGroup.tenant_id == tenant_id,
            UserGroup.group_id == group_id,
            UserGroup.user_id == user_id,
        )
        .returning(UserGroup.user_id)
    )
    return removed.first() is not None
