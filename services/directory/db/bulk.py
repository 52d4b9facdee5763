"""What bulk actions read and write many users at a time: the facts the rules need,
grouped for a preview or per user for a batch; memberships and sessions in one statement."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from services.directory.db.models import (
    KEPT_BY_TRIGGER,
    Activity,
    LoginSession,
    Role,
    User,
    UserGroup,
)
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
    """Without synchronising the session's objects (no batch holds any session object):
    the ORM's default did that work in Python, ~1 ms of CPU per user deactivated."""
    if user_ids:
        await session.execute(
            update(LoginSession)
            .where(
                LoginSession.tenant_id == tenant_id,
                LoginSession.user_id == any_(uuid_array(user_ids)),
                LoginSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
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


async def add_memberships(
    session: AsyncSession, tenant_id: uuid.UUID, links: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """(user, group) memberships in one statement (those already there are left as they
    are). Links of users not inserted yet need `defer_user_links` first."""
    if links:
        table = cast(Table, UserGroup.__table__)
        rows = [{"tenant_id": tenant_id, "user_id": u, "group_id": g} for u, g in links]
        await (await session.connection()).execute(insert(table).on_conflict_do_nothing(), rows)


async def defer_user_links(session: AsyncSession) -> None:
    """Until the commit, a membership may name a user inserted later in the transaction:
    the user's row then gets its group_ids when inserted (migration 0008) instead of being
    written a second time by the links' trigger."""
    await session.execute(text(f"SET CONSTRAINTS {USER_LINK} DEFERRED"))


USER_LINK = "fk_user_groups_tenant_id_user_id_users"


async def add_activities(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID,
    occurred_at: datetime,
    activities: Sequence[tuple[uuid.UUID, str, dict[str, Any] | None]],
) -> None:
    """A batch's activities (user, kind, details) in one executemany of the table itself:
    neither one ORM object each (half the time of a 500-user batch went to those objects)
    nor the ORM's bulk insert (its per-row work was still ~40 % of an import's apply)."""
    if activities:
        rows = [
            {
                "tenant_id": tenant_id,
                "id": uuid.uuid4(),
                "user_id": user_id,
                "kind": kind,
                "actor_id": actor_id,
                "details": details or {},
                "occurred_at": occurred_at,
            }
            for user_id, kind, details in activities
        ]
        table = cast(Table, Activity.__table__)
        await (await session.connection()).execute(insert(table), rows)


async def write_users(session: AsyncSession, users: Sequence[User], columns: Sequence[str]) -> None:
    """The users' new values of `columns` (and `updated_at`): one UPDATE of all of them when
    the values are the same for all, else one executemany, where the ORM sends one UPDATE
    per user to check its version (2,000 round trips were 60% of a bulk deactivation).
    The users are locked (`users_with_roles`), so no version can have moved; each object
    is then told it matches its row, version bumped as the ORM would."""
    if not users:
        return
    table = cast(Table, User.__table__)
    names = [*columns, "updated_at"]
    values = [{n: getattr(u, n) for n in names} for u in users]
    connection = await session.connection()
    if all(v == values[0] for v in values) and len({u.tenant_id for u in users}) == 1:
        # The same new values for all (a deactivation, a role): one statement for the batch.
        await connection.execute(
            update(table)
            .where(
                table.c.tenant_id == users[0].tenant_id,
                table.c.id == any_(uuid_array([u.id for u in users])),
            )
            .values(values[0])
            .values(version=table.c.version + 1)
        )
    else:
        statement = (
            update(table)
            .where(table.c.tenant_id == bindparam("key_tenant"), table.c.id == bindparam("key_id"))
            .values({name: bindparam(name, type_=table.c[name].type) for name in names})
            .values(version=table.c.version + 1)
        )
        keys = [{"key_tenant": u.tenant_id, "key_id": u.id} for u in users]
        rows = [{**k, **v} for k, v in zip(keys, values, strict=True)]
        await connection.execute(statement, rows)
    for user in users:
        for name in names:
            set_committed_value(user, name, getattr(user, name))
        set_committed_value(user, "version", user.version + 1)
        # Then as if flushed: otherwise the next flush would visit each object and load its
        # deferred server-default column (group_ids) one SELECT per user (2,000 SELECTs
        # were ~70 % of a bulk deactivation's CPU, cProfile on the service).
        state = instance_state(user)
        state._commit_all(state.dict, session.sync_session.identity_map)


async def insert_users(session: AsyncSession, users: Sequence[User]) -> None:
    """New users in one executemany, without the ORM's per-object work (~60 % of an
    import batch's Python time); the objects are not added to the session and stay as
    built, which is what the row holds (their `NEW_USER_DEFAULTS` set as the row's)."""
    if not users:
        return
    table = cast(Table, User.__table__)
    written = [c.key for c in table.columns if c.computed is None and c.key not in KEPT_BY_TRIGGER]
    rows = [{name: getattr(user, name) for name in written} for user in users]
    await (await session.connection()).execute(insert(table), rows)
