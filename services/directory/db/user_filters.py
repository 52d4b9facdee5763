"""The user list's filters as conditions on `users`, each one on a column of one GIN over
every filter (`ix_users_filters`, so that a mix is intersected inside one index scan):
trigrams for text, letter pairs for two-letter terms (too short for a trigram), status,
role, invitation, e-mail and login state, custom fields as jsonb, each user's group ids;
btree for dates and invitation expiry."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, false, func, or_
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import Text

from services.directory.db.models import NEVER_LOGGED_IN, User
from services.directory.domain.users import LoginState
from shared.contracts.user_filters import InvitationFilter, UserFilters, UserSort
from shared.contracts.users import InvitationState
from shared.db import uuid_array

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    UserSort.NAME.key: User.sort_name,
    UserSort.EMAIL.key: User.email_normalized,
    UserSort.CREATED.key: User.created_at,
    UserSort.LAST_LOGIN.key: User.last_login_sort,
}
TRIGRAM = 3
NEVER = datetime.fromisoformat(NEVER_LOGGED_IN)
WAITING = (InvitationState.SENT, InvitationState.DELIVERED)


def sort_column(sort: UserSort) -> InstrumentedAttribute[Any]:
    return SORT_COLUMNS[sort.key]


def like_contains(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions_for(
    tenant_id: uuid.UUID,
    f: UserFilters,
    field_values: Mapping[uuid.UUID, Any],
    now: datetime,
    sort: UserSort = UserSort.NAME,
    *,
    for_walk: bool = False,
) -> list[ColumnElement[bool]]:
    """The filters as conditions on `users` (`field_values`: the custom-field filters,
    cleaned, by field id): for looking the matches up through indexes, or (`for_walk`) for
    checking row by row along a sort index, where a plain LIKE is cheaper than computing a
    text's letter pairs."""
    where: list[ColumnElement[bool]] = [User.tenant_id == tenant_id]
    if f.group:
        # In any of the groups: served by the GIN of `group_ids`, so the planner intersects
        # it with the other filters' indexes before reading a row.
        where.append(User.group_ids.overlap(uuid_array(list(f.group))))
    if f.role:
        where.append(User.role.in_(f.role))
    if f.status:
        where.append(User.status.in_(f.status))
    if f.invitation:
        where.append(or_(*(_invitation_condition(s, now) for s in f.invitation)))
    if f.email_status:
        where.append(User.email_state.in_(f.email_status))
    if email := f.email_contains:
        where.extend(_email_contains(email.lower(), for_walk))
    where.extend(_text_contains(term, for_walk) for term in f.search_terms)
    where.extend(
        User.custom_fields.op("@>")(cast({str(field_id): value}, JSONB))
        for field_id, value in field_values.items()
    )
    where.extend(_date_ranges(f))
    where.extend(_last_login(f, sort, for_walk))
    return where


def _text_contains(term: str, for_walk: bool) -> ColumnElement[bool]:
    """Names or e-mail contain `term`. A two-letter term has no trigram for pg_trgm to look
    up (it would read its whole index); it is one of the text's letter pairs instead."""
    if len(term) < TRIGRAM and not for_walk:
        return _has_letter_pair(term)
    return User.search_text.like(like_contains(term))


def _email_contains(term: str, for_walk: bool) -> list[ColumnElement[bool]]:
    contains = User.email_normalized.like(like_contains(term))
    if 1 < len(term) < TRIGRAM and not for_walk:
        # search_text ends with email_normalized: its letter pairs include the e-mail's.
        return [contains, _has_letter_pair(term)]
    return [contains]


def _has_letter_pair(pair: str) -> ColumnElement[bool]:
    pairs = func.text_bigrams(User.search_text, type_=ARRAY(Text))
    return pairs.contains(cast([pair], ARRAY(Text)))


def _invitation_condition(state: InvitationFilter, now: datetime) -> ColumnElement[bool]:
    """What `domain.invitation_state.displayed` shows as `state`."""
    if state is InvitationFilter.EXPIRED:
        return and_(User.invitation_state.in_(WAITING), User.invitation_expires_at <= now)
    stored = InvitationState(state.value)
    if stored in WAITING:
        not_expired = or_(User.invitation_expires_at.is_(None), User.invitation_expires_at > now)
        return and_(User.invitation_state == stored, not_expired)
    return User.invitation_state == stored


def _date_ranges(f: UserFilters) -> list[ColumnElement[bool]]:
    ranges: list[ColumnElement[bool]] = []
    if f.created_from:
        ranges.append(User.created_at >= f.created_from)
    if f.created_to:
        ranges.append(User.created_at < f.created_to)
    if f.last_login_from:
        ranges.append(User.last_login_sort >= f.last_login_from)
    if f.last_login_to:
        ranges.append(User.last_login_sort < f.last_login_to)
    return ranges


def _last_login(f: UserFilters, sort: UserSort, for_walk: bool) -> list[ColumnElement[bool]]:
    """Conditions on the last login go through `login_state`, which the state index and its
    statistics know, and `last_login_sort` (equal to `last_login_at` for those who logged
    in). A walk of the last-login order also gets the range of that order they sit in."""
    logged_in = f.never_logged_in is False or bool(f.last_login_from or f.last_login_to)
    if f.never_logged_in is None and not logged_in:
        return []
    if f.never_logged_in and logged_in:
        return [false()]
    if f.never_logged_in:
        state, order_range = User.login_state == LoginState.NEVER, User.last_login_sort == NEVER
    else:  # every login happened after 1970, the moment `last_login_sort` gives the others
        state, order_range = (
            User.login_state == LoginState.LOGGED_IN,
            User.last_login_sort > NEVER,
        )
    return [state, order_range] if for_walk and by_last_login(sort) else [state]


def by_last_login(sort: UserSort) -> bool:
    return sort_column(sort) is User.last_login_sort
