"""The user list's filters and sort orders (`shared.contracts.user_filters`) as conditions
on the projection: the directory's meaning (services/directory/db/user_filters.py) on the
exports' copy of the same data. An export reads every match once, in order, so plain
conditions are enough here; the directory's index tricks serve its pages."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, false, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute

from services.exports.db.models import ProjectedUser as U
from shared.contracts.user_filters import InvitationFilter, UserFilters, UserSort
from shared.contracts.users import InvitationState

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    UserSort.NAME.key: U.sort_name,
    UserSort.EMAIL.key: U.email_normalized,
    UserSort.CREATED.key: U.created_at,
    UserSort.LAST_LOGIN.key: U.last_login_sort,
}
WAITING = (InvitationState.SENT.value, InvitationState.DELIVERED.value)


def like_contains(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions_for(
    tenant_id: uuid.UUID, f: UserFilters, field_values: Mapping[str, Any], now: datetime
) -> list[ColumnElement[bool]]:
    """`field_values`: the custom-field filters, cleaned, by field key."""
    where: list[ColumnElement[bool]] = [U.tenant_id == tenant_id]
    if f.group:
        where.append(U.group_ids.overlap(cast(list(f.group), U.group_ids.type)))
    if f.role:
        where.append(U.role.in_(f.role))
    if f.status:
        where.append(U.status.in_([s.value for s in f.status]))
    if f.invitation:
        where.append(or_(*(_invitation_condition(s, now) for s in f.invitation)))
    if f.email_status:
        where.append(U.email_state.in_([s.value for s in f.email_status]))
    if email := f.email_contains:
        where.append(U.email_normalized.like(like_contains(email.lower())))
    where.extend(U.search_text.like(like_contains(term)) for term in f.search_terms)
    where.extend(
        U.custom_fields.op("@>")(cast({key: value}, JSONB)) for key, value in field_values.items()
    )
    where.extend(_date_ranges(f))
    where.extend(_last_login(f))
    return where


def _invitation_condition(state: InvitationFilter, now: datetime) -> ColumnElement[bool]:
    if state is InvitationFilter.EXPIRED:
        return and_(U.invitation_state.in_(WAITING), U.invitation_expires_at <= now)
    if state.value in WAITING:
        not_expired = or_(U.invitation_expires_at.is_(None), U.invitation_expires_at > now)
        return and_(U.invitation_state == state.value, not_expired)
    return U.invitation_state == state.value


def _date_ranges(f: UserFilters) -> list[ColumnElement[bool]]:
    ranges: list[ColumnElement[bool]] = []
    if f.created_from:
        ranges.append(U.created_at >= f.created_from)
    if f.created_to:
        ranges.append(U.created_at < f.created_to)
    if f.last_login_from:
        ranges.append(U.last_login_sort >= f.last_login_from)
    if f.last_login_to:
        ranges.append(U.last_login_sort < f.last_login_to)
    return ranges


def _last_login(f: UserFilters) -> list[ColumnElement[bool]]:
    logged_in = f.never_logged_in is False or bool(f.last_login_from or f.last_login_to)
    if f.never_logged_in is None and not logged_in:
        return []
    if f.never_logged_in and logged_in:
        return [false()]
    if f.never_logged_in:
        return [U.last_login_at.is_(None)]
    return [U.last_login_at.is_not(None)]


def order_by(sort: UserSort) -> tuple[ColumnElement[Any], ...]:
    """The directory's order: the sort key, ties broken by the user's id."""
    key = SORT_COLUMNS[sort.key]
    if sort.descending:
        return key.desc(), U.id.desc()
    return key.asc(), U.id.asc()
