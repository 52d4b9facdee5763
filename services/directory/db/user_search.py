"""The user list: filters, keyset pagination and a total that stays cheap on a million rows.

Every filter becomes a condition on `users` that one of its indexes serves (trigram GIN
for text, jsonb GIN for custom fields, btree for the rest); pages are read in the order
of one of the sort indexes, from a cursor, never with OFFSET.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, exists, false, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.directory.db.models import User, UserGroup
from services.directory.domain.listing import InvitationFilter, UserFilter, UserSort
from shared.contracts.users import InvitationState

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": User.sort_name,
    "email": User.email_normalized,
    "created_at": User.created_at,
    "last_login_at": User.last_login_sort,
}


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last row's sort value and id."""

    sort_value: Any
    user_id: uuid.UUID


def sort_column(sort: UserSort) -> InstrumentedAttribute[Any]:
    return SORT_COLUMNS[sort.value.lstrip("-")]


def like_contains(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions_for(tenant_id: uuid.UUID, f: UserFilter, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [User.tenant_id == tenant_id]
    if f.group_ids:
        where.append(
            exists().where(
                UserGroup.tenant_id == User.tenant_id,
                UserGroup.user_id == User.id,
                UserGroup.group_id.in_(f.group_ids),
            )
        )
    if f.roles:
        where.append(User.role.in_(f.roles))
    if f.statuses:
        where.append(User.status.in_([s.value for s in f.statuses]))
    if f.invitation_states:
        where.append(or_(*(_invitation_condition(s, now) for s in f.invitation_states)))
    if f.email_states:
        where.append(User.email_state.in_([s.value for s in f.email_states]))
    if f.email_contains:
        where.append(User.email_normalized.like(like_contains(f.email_contains.lower())))
    where.extend(User.search_text.like(like_contains(term)) for term in f.search_terms)
    where.extend(
        User.custom_fields.op("@>")(cast(json.dumps({str(field_id): value}), JSONB))
        for field_id, value in f.custom_fields.items()
    )
    where.extend(_date_ranges(f))
    return where


def _date_ranges(f: UserFilter) -> list[ColumnElement[bool]]:
    ranges: list[ColumnElement[bool]] = []
    if f.created_from:
        ranges.append(User.created_at >= f.created_from)
    if f.created_to:
        ranges.append(User.created_at < f.created_to)
    if f.last_login_from:
        ranges.append(User.last_login_at >= f.last_login_from)
    if f.last_login_to:
        ranges.append(User.last_login_at < f.last_login_to)
    if f.never_logged_in is not None:
        ranges.append(
            User.last_login_at.is_(None) if f.never_logged_in else User.last_login_at.is_not(None)
        )
    return ranges


def _invitation_condition(state: InvitationFilter, now: datetime) -> ColumnElement[bool]:
    waiting = (InvitationState.SENT.value, InvitationState.DELIVERED.value)
    not_expired = or_(User.invitation_expires_at.is_(None), User.invitation_expires_at > now)
    if state is InvitationFilter.EXPIRED:
        return and_(User.invitation_state.in_(waiting), User.invitation_expires_at <= now)
    if state.value in waiting:
        return and_(User.invitation_state == state.value, not_expired)
    return User.invitation_state == state.value


def page_query(
    conditions: list[ColumnElement[bool]], sort: UserSort, after: Position | None, limit: int
) -> Select[User]:
    column = sort_column(sort)
    query = select(User).where(*conditions)
    if after is not None:
        key, last = tuple_(column, User.id), tuple_(after.sort_value, after.user_id)
        query = query.where(key < last if sort.descending else key > last)
    order = (column.desc(), User.id.desc()) if sort.descending else (column.asc(), User.id.asc())
    return query.order_by(*order).limit(limit)


async def count_matches(
    session: AsyncSession, conditions: list[ColumnElement[bool]], exact_up_to: int
) -> tuple[int, bool]:
    """The number of matching users, exact when there are at most `exact_up_to` of them
    (counting them is then cheap); otherwise the planner's estimate. Returns (n, exact)."""
    if any(c is false() for c in conditions):
        return 0, True
    capped = select(User.id).where(*conditions).limit(exact_up_to + 1).subquery()
    count = (await session.execute(select(func.count()).select_from(capped))).scalar_one()
    if count <= exact_up_to:
        return count, True
    estimate = await planner_estimate(session, select(User.id).where(*conditions))
    return max(estimate, exact_up_to + 1), False


async def planner_estimate(session: AsyncSession, query: Select[Any]) -> int:
    connection = await session.connection()
    compiled = query.compile(dialect=connection.dialect)
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    result = await connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled.string}", parameters
    )
    plan = result.scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])
