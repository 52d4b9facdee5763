"""Groups: create, rename, delete, membership. A rename or delete changes the snapshot
of every member, so each member's `user.updated` goes out."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import groups as groups_db
from services.directory.db import users as users_db
from services.directory.db.models import Group, UserGroup
from services.directory.snapshots import publish_user_event
from services.directory.usecases.common import flush_unique, load_user
from shared.contracts.users import USER_UPDATED
from shared.errors import Conflict, NotFound
from shared.security.access_tokens import Principal

NAME_TAKEN = "A group with this name already exists."


async def create_group(session: AsyncSession, actor: Principal, name: str) -> Group:
    if await groups_db.group_name_taken(session, actor.tenant_id, name):
        raise Conflict(NAME_TAKEN)
    group = Group(tenant_id=actor.tenant_id, id=uuid.uuid4(), name=name)
    session.add(group)
    await flush_unique(session, NAME_TAKEN)
    return group


async def rename_group(
    session: AsyncSession, actor: Principal, group_id: uuid.UUID, name: str
) -> Group:
    group = await _load(session, actor, group_id)
    if group.name == name:
        return group
    if await groups_db.group_name_taken(session, actor.tenant_id, name, except_id=group.id):
        raise Conflict(NAME_TAKEN)
    group.name = name
    await flush_unique(session, NAME_TAKEN)
    await _republish_members(
        session, actor, await groups_db.member_ids(session, actor.tenant_id, group.id)
    )
    return group


async def delete_group(session: AsyncSession, actor: Principal, group_id: uuid.UUID) -> None:
    group = await _load(session, actor, group_id)
    members = await groups_db.member_ids(session, actor.tenant_id, group.id)
    # Lock the members first: an edit of one of them holds its row and waits on the group.
    await users_db.users_by_ids(session, actor.tenant_id, members, for_update=True)
    await session.delete(group)
    await session.flush()
    await _republish_members(session, actor, members)


async def add_member(
    session: AsyncSession, actor: Principal, group_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    group = await _load(session, actor, group_id)
    user = await load_user(session, actor, user_id)
    link = select(UserGroup).where(
        UserGroup.tenant_id == actor.tenant_id,
        UserGroup.group_id == group.id,
        UserGroup.user_id == user.id,
    )
    if (await session.execute(link)).first() is None:
        await session.execute(
            insert(UserGroup).values(tenant_id=actor.tenant_id, user_id=user.id, group_id=group.id)
        )
        await _republish_members(session, actor, [user.id])


async def remove_member(
    session: AsyncSession, actor: Principal, group_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    group = await _load(session, actor, group_id)
    user = await load_user(session, actor, user_id)
    result = await session.execute(
        delete(UserGroup).where(
            UserGroup.tenant_id == actor.tenant_id,
            UserGroup.group_id == group.id,
            UserGroup.user_id == user.id,
        )
    )
    if result.rowcount:  # type: ignore[attr-defined]
        await _republish_members(session, actor, [user.id])


async def _load(session: AsyncSession, actor: Principal, group_id: uuid.UUID) -> Group:
    group = await groups_db.get_group(session, actor.tenant_id, group_id)
    if group is None:
        raise NotFound("There is no such group.")
    return group


async def _republish_members(
    session: AsyncSession, actor: Principal, user_ids: list[uuid.UUID]
) -> None:
    users = await users_db.users_by_ids(session, actor.tenant_id, user_ids, for_update=True)
    now = datetime.now(UTC)
    for user in users:
        user.updated_at = now
    if users:
        await publish_user_event(session, USER_UPDATED, *users)
