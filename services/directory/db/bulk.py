"""What bulk actions read and write many users at a time: the facts the rules need,
grouped for a preview or per user for a batch; memberships and sessions in one statement."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    any_,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import arrays
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
from shared.errors import ChangedMeanwhile


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
) -> list[tuple[Row[Any], bool]]:
    """The users' rows (plain rows, not ORM objects: a batch reads and writes them as
    data), locked in id order, each with whether their role is administrative."""
    table = _users()
    query = (
        select(table, Role.is_admin)
        .join(Role, Role.key == table.c.role)
        .where(table.c.tenant_id == tenant_id, table.c.id == any_(uuid_array(user_ids)))
        .order_by(table.c.id)
        .with_for_update(of=table)
    )
    return [(row, bool(row.is_admin)) for row in await session.execute(query)]


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
    await arrays.insert_rows(
        session,
        cast(Table, UserGroup.__table__),
        [
            ("tenant_id", "uuid", [tenant_id] * len(links)),
            ("user_id", "uuid", [u for u, _ in links]),
            ("group_id", "uuid", [g for _, g in links]),
        ],
        ignore_conflicts=True,
    )


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
    """A batch's activities (user, kind, details) in one statement over their arrays
    (their ids made by PostgreSQL)."""
    count = len(activities)
    await arrays.insert_rows(
        session,
        cast(Table, Activity.__table__),
        [
            ("tenant_id", "uuid", [tenant_id] * count),
            ("user_id", "uuid", [user_id for user_id, _, _ in activities]),
            ("kind", "text", [kind for _, kind, _ in activities]),
            ("actor_id", "uuid", [actor_id] * count),
            ("details", "jsonb", [details or {} for _, _, details in activities]),
            ("occurred_at", "timestamptz", [occurred_at] * count),
        ],
        also_columns={"id": "gen_random_uuid()"},
    )


async def write_users(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    values: Sequence[arrays.Column],
    updated_at: datetime,
) -> list[Row[Any]]:
    """Each user's new `values` (one array a column, in the order of `user_ids`), their
    `updated_at` and version moved on as every change of a user does, in one statement;
    the rows as written. The users are locked (`users_with_roles`)."""
    return await arrays.update_rows(
        session,
        *_user_writes(tenant_id, user_ids, values, updated_at),
        also=NEXT_VERSION,
        returning=True,
    )


def _user_writes(
    tenant_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    values: Sequence[arrays.Column],
    updated_at: datetime,
) -> tuple[Table, dict[str, Any], list[arrays.Column], list[arrays.Column]]:
    """What `arrays.update_rows` needs to give users their new `values`: the table, the
    tenant, the users' ids, the values with `updated_at` (the version: `NEXT_VERSION`)."""
    stamps = ("updated_at", "timestamptz", [updated_at] * len(user_ids))
    return _users(), {"tenant_id": tenant_id}, [("id", "uuid", user_ids)], [*values, stamps]


NEXT_VERSION = "version = t.version + 1"


def as_written(row: Row[Any], values: dict[str, Any], updated_at: datetime) -> SimpleNamespace:
    """The row a user locked by this transaction will be once `update_users` gives it
    `values`: what `write_users` would return, known before the statement runs (so a
    batch's events are built while it does). No trigger changes a user's row on UPDATE,
    and the columns PostgreSQL computes depend on none a bulk action sets."""
    written = row._asdict()
    written.update(values, updated_at=updated_at, version=row.version + 1)
    return SimpleNamespace(**written)


async def update_users(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    values: Sequence[arrays.Column],
    updated_at: datetime,
) -> None:
    """`write_users` without reading the rows back (`as_written` knows them): returning a
    2,000-user batch's ~45 columns cost the database and the service ~20-40 ms each. Every
    user must be there, locked by this transaction: if one is not, the batch fails whole
    (and its users are then tried one at a time)."""
    count = len(user_ids)
    if not count:
        return
    updated = await arrays.update_counted(
        session, *_user_writes(tenant_id, user_ids, values, updated_at), also=NEXT_VERSION
    )
    if updated != count:
        raise ChangedMeanwhile(f"{count - updated} of the batch's users changed meanwhile.")


async def plan_generically(session: AsyncSession) -> None:
    """The batch's statements planned for any batch from their first run on a connection:
    PostgreSQL's first five custom plans of the users' `UPDATE ... FROM unnest(...)` (and
    of the outcomes') hash-joined a scan of the whole tenant (~20-90 ms at 100,000 users),
    on each of the pool's connections, before its generic plan probes the primary key per
    row whatever the tenant's size."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))


# How many index entries a batch's transaction may leave in the users' GIN's pending list
# before it merges them into the index itself. At PostgreSQL's default (4 MB) each
# 2,000-user batch merged about its own entries: ~180 ms of its UPDATE's ~340 ms
# (EXPLAIN ANALYZE at 62,000 users: 340-355 ms, 163-167 ms when nothing was merged);
# eight batches' entries merged at once took 485 ms, not 8 x 180. A list search reads
# the pending list whole: this bounds what a bulk job adds to it.
PENDING_INDEX_ENTRIES = "16MB"


async def defer_index_merges(session: AsyncSession) -> None:
    """Let the batch's changes to users pile up in the GIN's pending list
    (`PENDING_INDEX_ENTRIES`), merged a few batches' worth at a time."""
    await session.execute(text(f"SET LOCAL gin_pending_list_limit = '{PENDING_INDEX_ENTRIES}'"))


async def merge_pending_index_entries(session: AsyncSession) -> None:
    """Merge what the job's batches left in the users' GIN indexes' pending lists, so
    that neither the list's searches (which read a pending list whole) nor the next
    change of a user (which would merge it, at the default limit) pay for it."""
    await session.execute(
        text(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
            " WHERE i.indrelid = 'users'::regclass AND a.amname = 'gin'"
        )
    )


async def insert_users(session: AsyncSession, columns: Sequence[arrays.Column]) -> list[Row[Any]]:
    """New users in one statement over their arrays; the rows as written (their defaults,
    and the groups the trigger of migration 0008 filled in)."""
    if any(name in KEPT_BY_TRIGGER for name, _, _ in columns):
        raise ValueError("users.group_ids is kept by PostgreSQL; never written")
    return await arrays.insert_rows(session, _users(), columns, returning=True)


def _users() -> Table:
    return cast(Table, User.__table__)
